"""The code: short, unguessable, and self-checking.

Nine random characters from a 31-character alphabet without look-alikes
(no 0/O, 1/I/L), then one check character: the position-weighted sum modulo
31 (a prime), so any single mistyped character and any swap of two
neighbours is caught before a lookup. 31^9 ≈ 2.6 × 10^13 codes.
"""
from __future__ import annotations

import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
BODY_LENGTH = 9
LENGTH = BODY_LENGTH + 1
_VALUES = {ch: i for i, ch in enumerate(ALPHABET)}


def check_char(body: str) -> str:
    total = sum((i + 1) * _VALUES[ch] for i, ch in enumerate(body))
    return ALPHABET[total % len(ALPHABET)]


def new_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return body + check_char(body)


def normalize(raw: str) -> str:
    return raw.strip().upper()


def is_well_formed(code: str) -> bool:
    """Length, alphabet and check character: a typo is caught without touching the database."""
    return (len(code) == LENGTH and all(ch in _VALUES for ch in code)
            and check_char(code[:BODY_LENGTH]) == code[BODY_LENGTH])


def code_url(public_base_url: str, code: str) -> str:
    """What the QR holds: a camera opens the public page, the mini program gets the same code."""
    return f"{public_base_url.rstrip('/')}/c/{code}"
