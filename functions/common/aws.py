"""AWS clients for the functions: built on first use (never at import), bounded, one per service.

Clients come from botocore directly, not boto3: boto3 adds resources and a default session the functions
never use, and importing it costs a cold start about an eighth of what importing botocore does.
"""

from __future__ import annotations

from functools import cache

from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.session import Session, get_session


@cache
def botocore_session() -> Session:
    """One botocore session for the execution environment (credentials and region from the environment)."""
    return get_session()


def make_client(service: str, config: Config) -> BaseClient:
    return botocore_session().create_client(service, config=config)


@cache
def aws_client(service: str) -> BaseClient:
    """One client per service for the execution environment: 2 s to connect, 5 s to read, 3 attempts."""
    config = Config(connect_timeout=2, read_timeout=5, retries={"total_max_attempts": 3, "mode": "standard"})
    return make_client(service, config)


@cache
def bounded_client(service: str, connect_timeout: float, read_timeout: float, max_attempts: int) -> BaseClient:
    """One client per service and bounds for the execution environment, for callers with their own bounds."""
    config = Config(connect_timeout=connect_timeout, read_timeout=read_timeout,
                    retries={"total_max_attempts": max_attempts, "mode": "standard"})
    return make_client(service, config)


def reset_clients() -> None:
    """Forget the clients (tests, the local runtime), so the next use builds them afresh. The session stays:
    it only holds the loaded service models and the credential chain, as boto3's default session does."""
    aws_client.cache_clear()
    bounded_client.cache_clear()


def error_code(exc: Exception) -> str:
    """The AWS error code of a ClientError, else the exception's type name (never its text: it may hold PII)."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or "ClientError")
    return type(exc).__name__


def resource_id(arn_or_id: str) -> str:
    """The id at the end of an Amazon Connect ARN (".../queue/<id>", ".../contact-flow/<id>"), or the value."""
    return arn_or_id.rsplit("/", 1)[-1] if arn_or_id.startswith("arn:") else arn_or_id
