"""Api clients (machine callers of /open/v1): a province or city regulator opens, rotates and
revokes them for units in its supervision subtree."""
from __future__ import annotations

from flask_smorest import Blueprint

from core.auth import require_login
from core.errors import NotFound
from core.pagination import paginate
from core.scoping import get_in_scope
from miniapp_api.schemas.clients import ClientCreateInput, ClientPageSchema, ClientQuery, ClientSchema, IssuedKeySchema
from models.clients import ApiClient
from models.orgs import Unit
from services import clients

blp = Blueprint("clients", __name__, url_prefix="/api/v1", description="开放接口客户端管理（省、市监管部门）")


def _client(identity, client_id: int) -> ApiClient:
    clients.require_manager(identity)
    return get_in_scope(ApiClient, client_id, identity, "未找到该接入客户端。")


@blp.get("/clients")
@blp.arguments(ClientQuery, location="query")
@blp.response(200, ClientPageSchema)
def list_clients(args):
    identity = require_login()
    page, size = args.pop("page"), args.pop("page_size")
    return paginate(clients.clients_stmt(identity, **args), page, size)


@blp.post("/clients")
@blp.arguments(ClientCreateInput)
@blp.response(201, IssuedKeySchema)
def create_client(data):
    """Open a client for a unit in scope; the answer carries the first key's secret, once."""
    identity = require_login()
    clients.require_manager(identity)
    unit = get_in_scope(Unit, data["unit_id"], identity, "未找到该单位。")
    return clients.create_client(identity.audit_context(), unit, data["name"], data["scopes"],
                                 data.get("rate_limit_per_minute"), data.get("note"))


@blp.get("/clients/<int:client_id>")
@blp.response(200, ClientSchema)
def get_client(client_id):
    return _client(require_login(), client_id)


@blp.post("/clients/<int:client_id>/keys")
@blp.response(201, IssuedKeySchema)
def rotate_key(client_id):
    """Issue a second key (rotation): both work until the old one is revoked."""
    identity = require_login()
    return clients.rotate_key(identity.audit_context(), _client(identity, client_id))


@blp.post("/clients/<int:client_id>/keys/<key_id>/revoke")
@blp.response(200, ClientSchema)
def revoke_key(client_id, key_id):
    identity = require_login()
    client = _client(identity, client_id)
    key = next((k for k in client.keys if k.key_id == key_id), None)
    if key is None:
        raise NotFound("未找到该密钥。")
    clients.revoke_key(identity.audit_context(), key)
    return client


@blp.post("/clients/<int:client_id>/revoke")
@blp.response(200, ClientSchema)
def revoke_client(client_id):
    identity = require_login()
    return clients.revoke_client(identity.audit_context(), _client(identity, client_id))
