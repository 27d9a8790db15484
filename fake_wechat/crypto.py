"""What WeChat and the mini program do with session keys, reproduced for tests."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def session_key_for(openid: str) -> str:
    """The fake's deterministic session key of `openid` (base64 of 16 bytes)."""
    digest = hashlib.sha256(b"fake-session-key:" + openid.encode("utf-8")).digest()
    return base64.b64encode(digest[:16]).decode("ascii")


def encrypt_for_miniapp(session_key: str, appid: str, data: dict[str, Any]) -> tuple[str, str]:
    """Encrypt `data` the way the mini program does for e.g. getPhoneNumber.

    Adds the `watermark`, then AES-128-CBC with PKCS#7 padding under the
    session key and a random iv. Returns (base64 encrypted_data, base64 iv).
    """
    payload = {**data, "watermark": {"appid": appid, "timestamp": int(time.time())}}
    plaintext = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    padder = padding.PKCS7(algorithms.AES.block_size).padder()
    padded = padder.update(plaintext) + padder.finalize()
    iv = os.urandom(16)
    encryptor = Cipher(algorithms.AES(base64.b64decode(session_key)), modes.CBC(iv)).encryptor()
    encrypted = encryptor.update(padded) + encryptor.finalize()
    return base64.b64encode(encrypted).decode("ascii"), base64.b64encode(iv).decode("ascii")
