"""The platform's wechatpy clients, pointed at a configurable API base URL.

wechatpy has no single base-URL switch: the token URL is hard-coded, the
client and each API group (`client.wxa`, `client.message`, ...) have their own
`API_BASE_URL`, and some methods request absolute `https://api.weixin.qq.com/...`
URLs. The clients below send all of these to `api_base_url` instead (WeChat's
real base in production, the local `fake_wechat` server in development and
tests), and give every HTTP call, the token fetch included, a timeout.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from wechatpy import WeChatClient
from wechatpy.client.api.base import BaseWeChatAPI
from wechatpy.constants import WeChatErrorCode
from wechatpy.crypto import WeChatWxaCrypto
from wechatpy.enterprise import WeChatClient as WeChatEnterpriseClient
from wechatpy.exceptions import (
    APILimitedException,
    InvalidAppIdException,
    WeChatClientException,
)

WECHAT_DOMAIN = "weixin.qq.com"


class WeChatDecryptError(ValueError):
    """Encrypted mini program data could not be decrypted or verified."""


class TimeoutSession(requests.Session):
    """A `requests.Session` whose requests time out after `timeout` seconds by default."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().request(method, url, **kwargs)


def rebase_url(url: str, api_base_url: str) -> str:
    """Move an absolute URL on a WeChat host (`*.weixin.qq.com`) onto `api_base_url`.

    `https://api.weixin.qq.com/cgi-bin/token?x=1` -> `<api_base_url>cgi-bin/token?x=1`.
    Relative endpoints and other hosts are returned unchanged.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host != WECHAT_DOMAIN and not host.endswith("." + WECHAT_DOMAIN):
        return url
    rebased = api_base_url + parts.path.lstrip("/")
    return f"{rebased}?{parts.query}" if parts.query else rebased


class _RebasedClientMixin:
    """Sends every request of a wechatpy client to `api_base_url`, with a timeout.

    Mixed in before a wechatpy client class; call `_rebase` at the end of `__init__`.
    """

    api_base_url: str
    API_BASE_URL: str

    def _rebase(self, api_base_url: str, timeout: float) -> None:
        if not api_base_url.endswith("/"):
            raise ValueError(f"api_base_url must end with '/': {api_base_url!r}")
        self.api_base_url = api_base_url
        self._http = TimeoutSession(timeout)
        # Instance attributes shadow the class-level URLs of wechatpy.
        self.API_BASE_URL = rebase_url(self.API_BASE_URL, api_base_url)
        # wechatpy puts one API group object per client in the instance dict.
        for api in vars(self).values():
            if isinstance(api, BaseWeChatAPI) and getattr(api, "API_BASE_URL", None):
                api.API_BASE_URL = rebase_url(api.API_BASE_URL, api_base_url)

    def _request(self, method: str, url_or_endpoint: str, **kwargs: Any) -> Any:
        """Also catch the absolute URLs some wechatpy methods hard-code."""
        return super()._request(  # type: ignore[misc]
            method, rebase_url(url_or_endpoint, self.api_base_url), **kwargs
        )

    @property
    def access_token(self) -> str:
        """The stored token; with a storage that has a `fetch_lock` (shared between processes), the
        token is fetched under that lock after looking again, so processes reuse one token."""
        fetch_lock = getattr(self.session, "fetch_lock", None)  # type: ignore[attr-defined]
        if fetch_lock is None:
            return super().access_token  # type: ignore[misc]
        token = self.session.get(self.access_token_key)  # type: ignore[attr-defined]
        if token:
            return token
        with fetch_lock():
            token = self.session.get(self.access_token_key)  # type: ignore[attr-defined]
            if not token:
                self.fetch_access_token()  # type: ignore[attr-defined]
                token = self.session.get(self.access_token_key)  # type: ignore[attr-defined]
        return token

    def _fetch_access_token(self, url: str, params: dict[str, str]) -> dict[str, Any]:
        """`fetch_access_token` hard-codes WeChat's token URL; move it too."""
        return super()._fetch_access_token(  # type: ignore[misc]
            rebase_url(url, self.api_base_url), params
        )


class MiniAppClient(_RebasedClientMixin, WeChatClient):
    """wechatpy client of the mini program (`client.wxa`, `client.message`, ...).

    The access token comes from `<api_base_url>cgi-bin/token`; `session` is a
    wechatpy session storage (memory by default).
    """

    def __init__(
        self,
        appid: str,
        secret: str,
        api_base_url: str,
        session: Any = None,
        timeout: float = 5.0,
    ) -> None:
        super().__init__(appid, secret, session=session, timeout=timeout)
        self._rebase(api_base_url, timeout)


class WeComClient(_RebasedClientMixin, WeChatEnterpriseClient):
    """wechatpy WeCom client; `api_base_url` is the WeCom base (e.g. `.../wecom/`).

    The access token comes from `<api_base_url>cgi-bin/gettoken`.
    """

    def __init__(
        self,
        corp_id: str,
        secret: str,
        api_base_url: str,
        session: Any = None,
        timeout: float = 5.0,
    ) -> None:
        super().__init__(corp_id, secret, session=session, timeout=timeout)
        self._rebase(api_base_url, timeout)

    def send_group_robot(self, webhook_key: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Post `payload` to the group robot webhook `webhook_key` (no access token).

        Raises `WeChatClientException` (`APILimitedException` for 45009) like wechatpy.
        """
        res = self._http.post(
            f"{self.api_base_url}cgi-bin/webhook/send", params={"key": webhook_key}, json=payload
        )
        try:
            res.raise_for_status()
        except requests.RequestException as exc:
            raise WeChatClientException(
                None, None, client=self, request=exc.request, response=exc.response
            ) from exc
        result = self._decode_result(res)
        if not isinstance(result, dict):
            raise WeChatClientException(
                None, "response is not JSON", client=self, request=res.request, response=res
            )
        errcode = int(result.get("errcode", 0))
        if errcode != 0:
            exc_class = (
                APILimitedException
                if errcode == WeChatErrorCode.OUT_OF_API_FREQ_LIMIT.value
                else WeChatClientException
            )
            errmsg = result.get("errmsg", errcode)
            raise exc_class(errcode, errmsg, client=self, request=res.request, response=res)
        return result


def decrypt_miniapp_data(
    session_key: str, iv: str, encrypted_data: str, appid: str
) -> dict[str, Any]:
    """Decrypt mini program data (e.g. getPhoneNumber) and check its watermark appid.

    Raises `WeChatDecryptError` for any bad input: base64, key or iv length,
    padding, JSON, missing watermark or another appid.
    """
    try:
        data = WeChatWxaCrypto(session_key, iv, appid).decrypt_message(encrypted_data)
    except InvalidAppIdException as exc:
        raise WeChatDecryptError("the data was encrypted for another appid") from exc
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise WeChatDecryptError("cannot decrypt the mini program data") from exc
    return data
