"""Who is asking: signed tokens and the request's identity.

A token is an itsdangerous signature over a server-side session id, so it
can expire and be revoked. Every request resolves to an `Identity` (person,
unit, roles, region scope); without a token it is the public identity.
How a session id becomes an Identity is domain knowledge, so the app
factory installs that loader (`set_identity_loader`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from flask import current_app, g, request
from itsdangerous import BadSignature, URLSafeSerializer

from core.audit import AuditContext
from core.errors import Forbidden, Unauthorized

TOKEN_SALT = "auth-token"


@dataclass(frozen=True)
class Identity:
    """The caller. `region_codes` is the supervision subtree a regulator may see;
    None there means no regional limit (the province, ops staff)."""

    person_id: int | None = None
    unit_id: int | None = None
    unit_kind: str | None = None
    unit_status: str | None = None
    name: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    region_code: str | None = None
    region_level: str | None = None
    region_codes: frozenset[str] | None = frozenset()
    session_id: str | None = None
    client: str = "public"
    ip: str | None = None
    # A machine caller (integration_api, /open/v1): its api_clients id and scopes; person_id is None.
    client_id: int | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_authenticated(self) -> bool:
        """A logged-in *person*. A machine caller is not one: person-only checks stay closed to it."""
        return self.person_id is not None

    @property
    def is_machine(self) -> bool:
        """A signed machine caller acting for its unit (see integration_api)."""
        return self.client_id is not None

    @property
    def acts_for_unit(self) -> bool:
        """A person or a machine caller: someone scoped like their unit."""
        return self.is_authenticated or self.is_machine

    def has_scope(self, scope: str) -> bool:
        """Whether a machine caller was granted `scope` (people have no scopes: always False)."""
        return scope in self.scopes

    @property
    def is_regulator(self) -> bool:
        return self.unit_kind == "regulator" and self.unit_status == "approved"

    @property
    def is_ops(self) -> bool:
        return "ops" in self.roles

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def audit_context(self) -> AuditContext:
        return AuditContext(self.person_id, self.unit_id, self.client, self.ip, self.client_id)


IdentityLoader = Callable[[str, str | None], Identity | None]
_loader: IdentityLoader | None = None


def set_identity_loader(loader: IdentityLoader) -> None:
    global _loader
    _loader = loader


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def sign_token(session_id: str) -> str:
    return _serializer().dumps({"sid": session_id})


def read_token(token: str) -> str | None:
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    sid = data.get("sid") if isinstance(data, dict) else None
    return sid if isinstance(sid, str) else None


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def sends_credentials() -> bool:
    """Whether the request carries an Authorization header at all (without one, the caller is the
    public: a hot path may answer before resolving an identity)."""
    return "HTTP_AUTHORIZATION" in request.environ


def current_identity() -> Identity:
    """The caller of this request (resolved once per request)."""
    identity = getattr(g, "identity", None)
    if identity is not None:
        return identity
    token = _bearer()
    if token is None:
        identity = Identity(ip=request.remote_addr)
    else:
        sid = read_token(token)
        identity = _loader(sid, request.remote_addr) if (sid and _loader) else None
        if identity is None:
            raise Unauthorized("登录已失效，请重新登录。", code="token_invalid")
    g.identity = identity
    return identity


def require_login() -> Identity:
    identity = current_identity()
    if not identity.is_authenticated:
        raise Unauthorized()
    return identity


def require_active_unit() -> Identity:
    """A logged-in person whose unit has been approved."""
    identity = require_login()
    if identity.unit_status != "approved":
        raise Forbidden("单位尚未通过审核，暂不能办理此业务。", code="unit_not_approved")
    return identity
