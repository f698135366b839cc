"""The caller's phone PIN: its shape, how it is stored (a salted slow hash), and the attempt limit. Plain Python.

A calling number can be spoofed, so the IVR says nothing about a customer and changes no ticket until the
caller has typed the PIN on the keypad (docs/security.md, "Caller verification"). Agents set or reset it
(functions/tickets/api.py, `PUT /customers/{id}/pin`); the caller-verification Lambda checks it
(functions/profiles/verification.py).

Storage: `scrypt$<log2 n>$<r>$<p>$<salt>$<hash>` (base64 salt and hash) from the standard library's
hashlib.scrypt, with a random 16-byte salt per PIN. A 4-8 digit PIN has at most 10^8 values, so the slow hash
only makes a stolen table expensive to search, not safe: what protects the PIN is that nobody reads the hash
(it never leaves the profiles table) and the attempt limit (MAX_FAILED_ATTEMPTS in a row lock the PIN for
LOCKOUT). The parameters are stored with each hash, so they can be raised later without breaking old PINs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import timedelta

MIN_PIN_DIGITS, MAX_PIN_DIGITS = 4, 8
PIN_PATTERN = rf"^[0-9]{{{MIN_PIN_DIGITS},{MAX_PIN_DIGITS}}}$"
_PIN = re.compile(PIN_PATTERN)
#: Wrong PINs in a row (over any number of calls) before the PIN is locked.
MAX_FAILED_ATTEMPTS = 5
#: How long a locked PIN stays locked; an agent's reset unlocks it at once.
LOCKOUT = timedelta(minutes=30)
# scrypt cost: n = 2^14, r = 8 (16 MiB, tens of milliseconds), p = 1.
_LOG2_N, _R, _P, _SALT_BYTES, _HASH_BYTES = 14, 8, 1, 16, 32
_SCHEME = "scrypt"


class InvalidPin(ValueError):
    """The PIN is not 4 to 8 digits."""


def require_pin(pin: str) -> str:
    if not isinstance(pin, str) or not _PIN.match(pin):
        raise InvalidPin("a PIN is 4 to 8 digits")
    return pin


def _derive(pin: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(pin.encode("ascii"), salt=salt, n=2 ** log2_n, r=r, p=p,
                          maxmem=2 * 128 * r * (2 ** log2_n) + 1024 * 1024, dklen=_HASH_BYTES)


def hash_pin(pin: str) -> str:
    """The stored form of a valid PIN (a new random salt each time)."""
    require_pin(pin)
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _derive(pin, salt, _LOG2_N, _R, _P)
    encode = base64.b64encode
    return f"{_SCHEME}${_LOG2_N}${_R}${_P}${encode(salt).decode()}${encode(digest).decode()}"


def pin_matches(pin: str, stored: str) -> bool:
    """True when `pin` is the PIN `stored` was made from. A malformed entry or stored value is no match."""
    if not isinstance(pin, str) or not _PIN.match(pin):
        return False
    try:
        scheme, log2_n, r, p, salt, digest = stored.split("$")
        if scheme != _SCHEME or not 10 <= int(log2_n) <= 20 or not 1 <= int(r) <= 16 or not 1 <= int(p) <= 4:
            return False
        expected = base64.b64decode(digest, validate=True)
        actual = _derive(pin, base64.b64decode(salt, validate=True), int(log2_n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)
