"""The machine-to-machine API (/open/v1): agencies, filling stations, other government systems.

Every route is signed (see `integration_api.signing` and the reference client
`integration_api.client`); the caller acts for its unit with its scopes, through the same
scoping, services and single commit as a person. The API has its own OpenAPI document at
/open/v1/openapi.json (a flask-smorest Api with config prefix "OPEN"), apart from /api's.
"""
from __future__ import annotations

from flask import Flask, Response, g, request
from flask_smorest import Blueprint
from marshmallow import fields

from core.api import Api
from core.apidocs import finish_spec
from core.schemas import InputSchema, OutputSchema, one_of
from core.timeutil import utcnow
from integration_api.client import body_hash, HEADER_KEY, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TIMESTAMP
from integration_api.signing import require_scope, verify_request
from models.clients import SCOPES

SIGNING_DESCRIPTION = f"""每个请求必须带以下四个请求头（缺一不可）：

- `{HEADER_KEY}`：密钥编号（ak_ 开头）
- `{HEADER_TIMESTAMP}`：Unix 时间戳（秒），与服务器时间相差不得超过 5 分钟（可配置）
- `{HEADER_NONCE}`：16–64 位随机串，字符限 A-Z a-z 0-9 - _，同一客户端不得重复使用
- `{HEADER_SIGNATURE}`：HMAC-SHA256(密钥 secret, 待签名串) 的小写十六进制

待签名串为以下六行，以换行符 `\\n` 连接：

```
METHOD            请求方法，大写
PATH              路径，先百分号解码，再对除 / 和 A-Z a-z 0-9 - _ . ~ 以外的字符百分号编码
QUERY             查询参数按 (名, 值) 排序，名和值分别编码（/ 也编码），以 名=值 用 & 连接；无参数为空行
TIMESTAMP         与 {HEADER_TIMESTAMP} 相同
NONCE             与 {HEADER_NONCE} 相同
SHA256(BODY)      请求体原始字节的 SHA-256 小写十六进制（无请求体时为空串的哈希）
```

拒绝原因各有错误码：signature_missing (401)、signature_header_malformed (400)、client_key_unknown (401)、
signature_invalid (401)、client_key_revoked (401)、timestamp_stale (401)、nonce_reused (401)、
client_revoked (403)、client_unit_not_approved (403)、scope_missing (403)、too_many_requests (429)。
被拒绝的请求不会写入任何数据。参考实现见 integration_api/client.py。

写入接口以发送方自己的记录编号（external_id）幂等：逐条返回 applied（已写入）、unchanged（无变化）
或 error（该条的错误码与说明），其余记录照常写入。"""

_SECURITY_SCHEMES = {
    "apiKey": {"type": "apiKey", "in": "header", "name": HEADER_KEY, "description": "密钥编号"},
    "timestamp": {"type": "apiKey", "in": "header", "name": HEADER_TIMESTAMP, "description": "Unix 时间戳（秒）"},
    "nonce": {"type": "apiKey", "in": "header", "name": HEADER_NONCE, "description": "一次性随机串"},
    "signature": {"type": "apiKey", "in": "header", "name": HEADER_SIGNATURE,
                  "description": SIGNING_DESCRIPTION},
}

open_api = Api(config_prefix="OPEN")

blp = Blueprint("open", __name__, url_prefix="/open/v1", description="开放接口（机器对接，签名请求）")


class PingQuery(InputSchema):
    scope = fields.String(validate=one_of(SCOPES),
                          metadata={"description": "同时检查客户端是否拥有该权限（缺少时 403 scope_missing）"})


class PingSchema(OutputSchema):
    ok = fields.Boolean()
    client_id = fields.Integer()
    client_name = fields.String()
    unit_id = fields.Integer()
    key_id = fields.String()
    scopes = fields.List(fields.String())
    server_time = fields.DateTime()
    body_sha256 = fields.String(metadata={"description": "POST 时：服务器收到的请求体的 SHA-256，用于核对签名"})


@blp.before_request
def _verify_signature() -> None:
    verify_request()


@blp.after_request
def _record_use(response: Response) -> Response:
    """Every accepted request is audited (refused ones are rolled back, so only logged)."""
    key = getattr(g, "open_key", None)
    if key is not None and response.status_code < 400:
        from services.clients import record_use

        record_use(g.identity, key, request.method, request.path, response.status_code)
    return response


@blp.get("/ping")
@blp.arguments(PingQuery, location="query")
@blp.response(200, PingSchema)
def ping(args):
    """Prove a key works (and, with `?scope=`, that the client holds that scope): answers who the
    signed caller is."""
    identity = require_scope(args["scope"]) if "scope" in args else g.identity
    return _whoami(identity)


@blp.post("/ping")
@blp.arguments(PingQuery, location="query")
@blp.response(200, PingSchema)
def ping_with_body(args):
    """As GET, for a signed body: answers the SHA-256 of the body the server received (any content)."""
    identity = require_scope(args["scope"]) if "scope" in args else g.identity
    return {**_whoami(identity), "body_sha256": body_hash(request.get_data(cache=True))}


def _whoami(identity) -> dict:
    return {"ok": True, "client_id": identity.client_id, "client_name": identity.name, "unit_id": identity.unit_id,
            "key_id": g.open_key.key_id, "scopes": sorted(identity.scopes), "server_time": utcnow()}


def init_app(app: Flask) -> None:
    """Register /open/v1, its own OpenAPI document and the `flask clients` commands."""
    open_api.init_app(app, spec_kwargs={
        "info": {"description": SIGNING_DESCRIPTION},
        "components": {"securitySchemes": _SECURITY_SCHEMES},
        "security": [{name: [] for name in _SECURITY_SCHEMES}],
    })
    from integration_api import inspection, open_data  # noqa: F401  (their routes join blp before it is registered)

    open_api.register_blueprint(blp)
    finish_spec(open_api.spec, security=[{name: [] for name in _SECURITY_SCHEMES}])
    from integration_api.commands import clients_cli

    app.cli.add_command(clients_cli)
