"""What the OpenAPI documents say beyond what flask-smorest writes: who may call each operation,
the error envelope of every failure, and file downloads as binary. Applied once per document
after every blueprint is registered (`finish_spec`)."""
from __future__ import annotations

from typing import Any

from apispec import APISpec

from core.errors import HTTP_CODES

METHODS = ("get", "put", "post", "delete", "patch")

# The failures every operation may answer, each with the one envelope (components/schemas/Error).
ERROR_STATUSES = (400, 401, 403, 404, 409, 413, 415, 422, 429, 503)
_ERROR_TEXT = {**{status: message for status, (_code, message) in HTTP_CODES.items()},
               503: "服务暂不可用，请稍后重试。"}


def binary_response(*mimetypes: str, description: str = "文件下载") -> dict[str, Any]:
    """A 200 response that is a file: for `@blp.doc(responses={"200": binary_response(...)})`."""
    return {"description": description,
            "content": {mimetype: {"schema": {"type": "string", "format": "binary"}} for mimetype in mimetypes}}


def finish_spec(spec: APISpec, *, security: list[dict[str, list]],
                public: dict[tuple[str, str], list[dict[str, list]]] | None = None) -> None:
    """Give every operation `security` (or its entry in `public`, keyed by (method, path)) and
    document each error status with the error envelope, keeping what a route documented itself."""
    public = public or {}
    error_ref = {"$ref": "#/components/schemas/Error"}
    for path, operations in spec._paths.items():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            operation.setdefault("security", public.get((method, path), security))
            responses = operation.setdefault("responses", {})
            for status in ERROR_STATUSES:
                responses.setdefault(str(status), {
                    "description": f"{_ERROR_TEXT.get(status, '请求失败。')}（错误码见 /api/errors）",
                    "content": {"application/json": {"schema": error_ref}}})
