"""A Secrets Manager secret read on first need and kept for a few minutes: no read at import, none per request.

The routing Lambda needs the chat-identity secret only for a chat that carries a signed customer claim
(functions/common/customer_claim.py); a voice call never touches it, so the call path's cold start is
unchanged. The first signed chat an execution environment sees pays one GetSecretValue (bounded: 0.5 s to
connect, 1 s to read, two attempts); later ones reuse the value until it is CACHE_SECONDS old, so a rotated
secret is picked up within that time. The age is measured on the monotonic clock: it decides only when to
read again, never a result. Importing this module imports no AWS SDK (the routing Lambda imports it on every
cold start; botocore is loaded only when a secret is read).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

CACHE_SECONDS = 300.0


class SecretUnavailable(RuntimeError):
    """Secrets Manager did not answer, or the secret is empty; the message is the error code only."""


@dataclass
class _Cached:
    value: bytes
    read_at: float


_cache: dict[str, _Cached] = {}


def secret_bytes(secret_id: str) -> bytes:
    """The secret's string as bytes, from the cache when it is fresh. Raises SecretUnavailable."""
    cached = _cache.get(secret_id)
    now = time.monotonic()
    if cached is not None and now - cached.read_at < CACHE_SECONDS:
        return cached.value
    from functions.common.aws import bounded_client, error_code  # botocore: only when a secret is read

    client = bounded_client("secretsmanager", 0.5, 1.0, 2)
    try:
        value = client.get_secret_value(SecretId=secret_id).get("SecretString") or ""
    except Exception as exc:  # botocore ClientError, timeouts, endpoint errors: all mean "not now"
        raise SecretUnavailable(error_code(exc)) from exc
    if not value:
        raise SecretUnavailable("EmptySecret")
    _cache[secret_id] = _Cached(value.encode(), now)
    return _cache[secret_id].value


def forget_secrets() -> None:
    """Drop the cached values (tests, the local runtime between backends)."""
    _cache.clear()
