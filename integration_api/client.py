"""Reference client for the platform's open API (/open/v1): signs every request.

Self-contained on purpose (standard library, plus `requests` for `OpenClient`), so an agency can
copy this one file. The server checks requests with the very same `canonical_string`.

Every request carries four headers:

    X-Api-Key     the key id, e.g. ak_3f9c...
    X-Timestamp   unix time in seconds (must be within the server's window, default ±300 s)
    X-Nonce       16-64 characters of [A-Za-z0-9_-], never used twice
    X-Signature   lowercase hex HMAC-SHA256(secret, canonical string)

The canonical string is six lines joined by "\\n":

    METHOD                upper case, e.g. POST
    PATH                  percent-decoded, then percent-encoded except "/" and A-Z a-z 0-9 - _ . ~
    QUERY                 the decoded (name, value) pairs ("+" is a space) sorted by name then
                          value, each part encoded like PATH (and "/" too), joined as name=value
                          with "&"; empty when there is no query
    TIMESTAMP             as sent in X-Timestamp
    NONCE                 as sent in X-Nonce
    SHA256(BODY)          lowercase hex SHA-256 of the exact body bytes (of b"" when none)

Example:
    client = OpenClient("https://jg.example.cn", "ak_...", "sk_...")
    client.get("/open/v1/ping").json()
"""
from __future__ import annotations

import hashlib
import hmac
import json as jsonlib
import secrets
import time
from typing import Any, Iterable, Mapping
from urllib.parse import parse_qsl, quote, unquote, urlsplit

HEADER_KEY = "X-Api-Key"
HEADER_TIMESTAMP = "X-Timestamp"
HEADER_NONCE = "X-Nonce"
HEADER_SIGNATURE = "X-Signature"

Params = Mapping[str, Any] | Iterable[tuple[str, Any]] | None


def canonical_path(path: str) -> str:
    """`path` already percent-decoded (as a WSGI server hands it over), encoded once."""
    return quote(path, safe="/")


def canonical_query(pairs: Iterable[tuple[str, str]]) -> str:
    return "&".join(f"{quote(name, safe='')}={quote(value, safe='')}" for name, value in sorted(pairs))


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def canonical_string(method: str, path: str, query_pairs: Iterable[tuple[str, str]], timestamp: str,
                     nonce: str, body: bytes) -> str:
    """The text that is signed (see the module docstring); `path` and the query pairs decoded."""
    return "\n".join([method.upper(), canonical_path(path), canonical_query(query_pairs), timestamp, nonce,
                      body_hash(body)])


def sign(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def _pairs(params: Params) -> list[tuple[str, str]]:
    if params is None:
        return []
    items = params.items() if isinstance(params, Mapping) else params
    pairs = []
    for name, value in items:
        for one in (value if isinstance(value, (list, tuple)) else [value]):
            pairs.append((str(name), "true" if one is True else "false" if one is False else str(one)))
    return pairs


def signed_request(key_id: str, secret: str, method: str, url_or_path: str, *, params: Params = None,
                   body: bytes = b"", timestamp: int | None = None, nonce: str | None = None
                   ) -> tuple[str, dict[str, str]]:
    """The path with its canonical query, and the headers that sign it. A query already in
    `url_or_path` is kept; `params` are added to it."""
    parts = urlsplit(url_or_path)
    pairs = parse_qsl(parts.query, keep_blank_values=True) + _pairs(params)
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or secrets.token_urlsafe(24)
    path = unquote(parts.path)
    message = canonical_string(method, path, pairs, stamp, nonce, body)
    query = canonical_query(pairs)
    target = canonical_path(path) + (f"?{query}" if query else "")
    if parts.scheme:
        target = f"{parts.scheme}://{parts.netloc}{target}"
    headers = {HEADER_KEY: key_id, HEADER_TIMESTAMP: stamp, HEADER_NONCE: nonce,
               HEADER_SIGNATURE: sign(secret, message)}
    return target, headers


def encode_json(data: Any) -> bytes:
    return jsonlib.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


class OpenClient:
    """A signing HTTP client: `OpenClient(base_url, key_id, secret).post("/open/v1/...", json=...)`."""

    def __init__(self, base_url: str, key_id: str, secret: str, *, timeout: float = 10.0, session=None):
        import requests

        self.base_url = base_url.rstrip("/")
        self.key_id = key_id
        self.secret = secret
        self.timeout = timeout
        self.session = session or requests.Session()

    def request(self, method: str, path: str, *, params: Params = None, json: Any = None,
                headers: Mapping[str, str] | None = None):
        body = b"" if json is None else encode_json(json)
        target, signed = signed_request(self.key_id, self.secret, method, path, params=params, body=body)
        all_headers = {**(headers or {}), **signed}
        if json is not None:
            all_headers["Content-Type"] = "application/json"
        return self.session.request(method, self.base_url + target, data=body or None, headers=all_headers,
                                    timeout=self.timeout)

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs):
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs):
        return self.request("PUT", path, **kwargs)


class FlaskOpenClient:
    """The same signing over a Flask test client (tests and in-process benchmarks)."""

    def __init__(self, test_client, key_id: str, secret: str):
        self.test_client = test_client
        self.key_id = key_id
        self.secret = secret

    def request(self, method: str, path: str, *, params: Params = None, json: Any = None,
                headers: Mapping[str, str] | None = None, **sign_options):
        body = b"" if json is None else encode_json(json)
        target, signed = signed_request(self.key_id, self.secret, method, path, params=params, body=body,
                                        **sign_options)
        all_headers = {**(headers or {}), **signed}
        return self.test_client.open(target, method=method, data=body, headers=all_headers,
                                     content_type="application/json" if json is not None else None)

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs):
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs):
        return self.request("PUT", path, **kwargs)
