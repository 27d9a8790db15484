"""Machine callers (api clients): their keys, who may manage them, and the identity they act with.

A client acts for one unit with the scopes it was granted. It holds at most two active keys, so a
key is rotated without downtime: `rotate_key` adds a new one next to the old, the caller switches,
then the old one is revoked (`revoke_key`). A third active key is refused. Secrets are shown once,
when made, and kept encrypted (Fernet, key derived from SECRET_KEY): the server needs the secret
itself to check an HMAC, so a hash would not do.
"""
from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from sqlalchemy import Select, func, select, update

from core import audit
from core.audit import AuditContext
from core.auth import Identity
from core.errors import Forbidden, InvalidInput, RuleViolation
from core.extensions import db
from core.scoping import region_in_scope, scoped
from core.timeutil import as_utc, utcnow
from models.clients import MAX_ACTIVE_KEYS, SCOPE_UNIT_KINDS, SCOPES, ApiClient, ApiClientKey
from models.orgs import Unit
from services.orgs import regions

MANAGING_LEVELS = frozenset({"province", "city"})
LAST_USED_RESOLUTION = timedelta(minutes=1)  # last_used_at moves at most once a minute: no hot row

_subtree_cache: dict[str, frozenset[str]] = {}


@dataclass(frozen=True)
class IssuedKey:
    """A key as handed out: the secret is readable only here, once."""

    client: ApiClient
    key: ApiClientKey
    secret: str


# -- secrets --------------------------------------------------------------------

def _fernet() -> Fernet:
    digest = hashlib.sha256(b"api-client-secret:" + current_app.config["SECRET_KEY"].encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def key_secret(key: ApiClientKey) -> str | None:
    """The key's secret in clear, or None when it cannot be read (SECRET_KEY changed)."""
    try:
        return _fernet().decrypt(key.secret_encrypted.encode()).decode()
    except InvalidToken:
        return None


def _issue_key(client: ApiClient) -> IssuedKey:
    secret = "sk_" + secrets.token_urlsafe(32)
    key = ApiClientKey(client=client, key_id="ak_" + secrets.token_hex(12), status="active",
                       secret_encrypted=_fernet().encrypt(secret.encode()).decode(), created_at=utcnow())
    db.session.add(key)
    db.session.flush()
    return IssuedKey(client, key, secret)


# -- who may manage -------------------------------------------------------------

def require_manager(identity: Identity, unit: Unit | None = None) -> None:
    """A province or city regulator's staff (a person), and for `unit` one in its supervision subtree.

    Raises Forbidden otherwise (a county regulator, any enterprise, a machine caller).
    """
    if not identity.is_authenticated or not identity.is_regulator or identity.region_level not in MANAGING_LEVELS:
        raise Forbidden("只有省级或市级监管部门可以管理接入客户端。", code="client_manager_required")
    if unit is not None and not region_in_scope(unit.region_code, identity):
        raise Forbidden("该单位不在本部门的监管范围内。", code="unit_out_of_scope")


def clients_stmt(identity: Identity, unit_id: int | None = None, status: str | None = None) -> Select:
    """Clients of units in the regulator's subtree, newest first."""
    require_manager(identity)
    stmt = scoped(select(ApiClient), ApiClient, identity).order_by(ApiClient.id.desc())
    if unit_id is not None:
        stmt = stmt.where(ApiClient.unit_id == unit_id)
    if status is not None:
        stmt = stmt.where(ApiClient.status == status)
    return stmt


# -- lifecycle ------------------------------------------------------------------

def _check_scopes(unit: Unit, scopes: list[str]) -> list[str]:
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise InvalidInput.field("scopes", f"未知的权限：{'、'.join(unknown)}。", code="scope_unknown")
    for scope in scopes:
        kinds = SCOPE_UNIT_KINDS[scope]
        if kinds is not None and unit.kind not in kinds:
            raise InvalidInput.field("scopes", f"{unit.name}不能获得权限 {scope}（{SCOPES[scope]}）。",
                                     code="scope_not_for_unit")
    if not scopes:
        raise InvalidInput.field("scopes", "至少授予一项权限。")
    return sorted(set(scopes))


def create_client(ctx: AuditContext, unit: Unit, name: str, scopes: list[str],
                  rate_limit_per_minute: int | None = None, note: str | None = None) -> IssuedKey:
    """Register a client for an approved unit with its first key (the secret is returned once).

    Raises InvalidInput for an unknown scope or one the unit's kind may not hold (inspection:write
    for agencies, filling:write for filling units), RuleViolation for a unit not approved.
    """
    if unit.status != "approved":
        raise RuleViolation("单位尚未通过审核，不能开通接入客户端。", code="unit_not_approved")
    client = ApiClient(name=name, unit=unit, scopes=_check_scopes(unit, scopes), status="active",
                       rate_limit_per_minute=rate_limit_per_minute, note=note, created_by_person_id=ctx.person_id)
    db.session.add(client)
    db.session.flush()
    issued = _issue_key(client)
    audit.record(ctx, "api_client.create", "api_client", client.id, None,
                 {"name": name, "unit_id": unit.id, "scopes": client.scopes, "key_id": issued.key.key_id})
    return issued


def _active_keys(client: ApiClient) -> int:
    return db.session.scalar(select(func.count()).select_from(ApiClientKey).where(
        ApiClientKey.client_id == client.id, ApiClientKey.status == "active")) or 0


def rotate_key(ctx: AuditContext, client: ApiClient) -> IssuedKey:
    """Issue a new key next to the current one (both work until one is revoked).

    Raises RuleViolation for a revoked client, or when it already holds two active keys
    (revoke the old one first). The client row is locked so two rotations cannot both pass.
    """
    db.session.scalar(select(ApiClient.id).where(ApiClient.id == client.id).with_for_update())
    if client.status != "active":
        raise RuleViolation("接入客户端已停用，不能再发放密钥。", code="client_revoked")
    if _active_keys(client) >= MAX_ACTIVE_KEYS:
        raise RuleViolation(f"每个接入客户端最多同时有 {MAX_ACTIVE_KEYS} 个有效密钥，请先吊销旧密钥。",
                            code="client_key_limit")
    issued = _issue_key(client)
    audit.record(ctx, "api_client.rotate", "api_client", client.id, None, {"key_id": issued.key.key_id})
    return issued


def revoke_key(ctx: AuditContext, key: ApiClientKey) -> ApiClientKey:
    """Revoke one key at once; requests signed with it are refused (client_key_revoked)."""
    if key.status == "active":
        key.status, key.revoked_at = "revoked", utcnow()
        db.session.flush()
        audit.record(ctx, "api_client.revoke_key", "api_client", key.client_id, None, {"key_id": key.key_id})
    return key


def revoke_client(ctx: AuditContext, client: ApiClient) -> ApiClient:
    """Stop a client and revoke all its keys."""
    if client.status == "revoked":
        return client
    now = utcnow()
    client.status, client.revoked_at = "revoked", now
    db.session.execute(update(ApiClientKey).where(ApiClientKey.client_id == client.id,
                                                  ApiClientKey.status == "active")
                       .values(status="revoked", revoked_at=now))
    db.session.flush()
    db.session.expire(client, ["keys"])
    audit.record(ctx, "api_client.revoke", "api_client", client.id, {"status": "active"}, {"status": "revoked"})
    return client


def find_key(key_id: str) -> ApiClientKey | None:
    """A key by its public id, with its client and unit loaded."""
    return db.session.scalar(select(ApiClientKey).where(ApiClientKey.key_id == key_id))


# -- acting -----------------------------------------------------------------------

def _region_codes(unit: Unit) -> frozenset[str] | None:
    """As for a person of the unit: a regulator its subtree (the province everything), others none."""
    if unit.kind != "regulator":
        return frozenset()
    if unit.region.level == "province":
        return None
    codes = _subtree_cache.get(unit.region_code)
    if codes is None:
        codes = _subtree_cache[unit.region_code] = regions.subtree_codes(unit.region_code)
    return codes


def identity_for_client(client: ApiClient, ip: str | None) -> Identity:
    """The Identity a machine caller acts with: its unit's kind, status and region, its scopes;
    no person and no roles, so person-only checks stay closed to it."""
    unit = client.unit
    return Identity(
        person_id=None, unit_id=unit.id, unit_kind=unit.kind, unit_status=unit.status, name=client.name,
        region_code=unit.region_code, region_level=unit.region.supervision_level,
        region_codes=_region_codes(unit), client="open", ip=ip, client_id=client.id,
        scopes=frozenset(client.scopes),
    )


def record_use(identity: Identity, key: ApiClientKey, method: str, path: str, status: int) -> None:
    """Audit one accepted request (`open.request`) and note when the key was last used."""
    now = utcnow()
    if key.last_used_at is None or now - as_utc(key.last_used_at) >= LAST_USED_RESOLUTION:
        key.last_used_at = now
        key.client.last_used_at = now
    audit.record(identity.audit_context(), "open.request", "api_client", key.client_id, None,
                 {"key_id": key.key_id, "method": method, "path": path, "status": status})
