"""The survey functions' settings, read from the environment on each use (never at import time).

The variable names are declared in functions/manifest.py; CDK fills them with deployed values
and the local runtime with local ones. Reading a handful of variables per invocation is cheap and
means a changed environment (a test, the local runtime) is never served stale.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from functions.common.settings import SettingsError


@dataclass(frozen=True)
class DispatcherSettings:
    instance_id: str
    survey_flow_id: str
    survey_queue_arn: str
    requests_queue_url: str
    sms_origination_identity: str | None  # None: SMS surveys disabled


@dataclass(frozen=True)
class ClientBounds:
    """How long one AWS request may take: timeouts and total attempts (standard retry mode, jitter)."""

    connect_timeout_s: float
    read_timeout_s: float
    max_attempts: int


def _require(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise SettingsError(f"environment variable {name} is required")
    return value


def _number(name: str, default: float, low: float, high: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from exc
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value


def dispatcher_settings() -> DispatcherSettings:
    return DispatcherSettings(
        instance_id=_require("CONNECT_INSTANCE_ID"),
        survey_flow_id=_require("SURVEY_FLOW_ID"),
        survey_queue_arn=_require("SURVEY_QUEUE_ARN"),
        requests_queue_url=_require("SURVEY_REQUESTS_QUEUE_URL"),
        sms_origination_identity=os.environ.get("SMS_ORIGINATION_IDENTITY", "").strip() or None,
    )


def dynamodb_bounds(default: ClientBounds) -> ClientBounds:
    """DynamoDB bounds: DDB_CONNECT_TIMEOUT_SECONDS, DDB_READ_TIMEOUT_SECONDS, DDB_MAX_ATTEMPTS or `default`."""
    return ClientBounds(
        connect_timeout_s=_number("DDB_CONNECT_TIMEOUT_SECONDS", default.connect_timeout_s, 0.05, 10.0),
        read_timeout_s=_number("DDB_READ_TIMEOUT_SECONDS", default.read_timeout_s, 0.05, 30.0),
        max_attempts=int(_number("DDB_MAX_ATTEMPTS", default.max_attempts, 1, 10)),
    )
