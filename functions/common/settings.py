"""Settings read from the environment lazily (never at import time) and validated once.

The variable names are declared in functions/manifest.py; CDK fills them with
deployed values and the local runtime with local ones.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache

import msgspec


class SettingsError(RuntimeError):
    """A required environment variable is missing or malformed."""


class ClientBounds(msgspec.Struct, frozen=True):
    """How long one AWS request may take: timeouts and total attempts (standard retry mode, jitter)."""

    connect_timeout_s: float
    read_timeout_s: float
    max_attempts: int


class RoutingSettings(msgspec.Struct, frozen=True):
    profiles_table: str
    queue_arns: dict[str, str]
    default_region: str
    # The deployment's numbers for the policy's lines (LINE_NUMBERS), as (line, numbers) pairs; () keeps policy.json's.
    line_numbers: tuple[tuple[str, tuple[str, ...]], ...] = ()


def require_env(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise SettingsError(f"environment variable {name} is required")
    return value


def optional_env(name: str) -> str | None:
    return os.environ.get(name, "").strip() or None


def number_env(name: str, default: float, low: float, high: float) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from exc
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value


def dynamodb_bounds(default: ClientBounds) -> ClientBounds:
    """DynamoDB bounds: DDB_CONNECT_TIMEOUT_SECONDS, DDB_READ_TIMEOUT_SECONDS, DDB_MAX_ATTEMPTS or `default`."""
    return ClientBounds(
        connect_timeout_s=number_env("DDB_CONNECT_TIMEOUT_SECONDS", default.connect_timeout_s, 0.05, 10.0),
        read_timeout_s=number_env("DDB_READ_TIMEOUT_SECONDS", default.read_timeout_s, 0.05, 30.0),
        max_attempts=int(number_env("DDB_MAX_ATTEMPTS", default.max_attempts, 1, 10)),
    )


@lru_cache(maxsize=1)
def routing_settings() -> RoutingSettings:
    raw_arns = require_env("QUEUE_ARNS")
    try:
        queue_arns = json.loads(raw_arns)
    except json.JSONDecodeError as exc:
        raise SettingsError("QUEUE_ARNS must be a JSON object of queue name to ARN") from exc
    if not isinstance(queue_arns, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in queue_arns.items()
    ):
        raise SettingsError("QUEUE_ARNS must be a JSON object of queue name to ARN")
    return RoutingSettings(
        profiles_table=require_env("PROFILES_TABLE_NAME"),
        queue_arns=queue_arns,
        default_region=optional_env("DEFAULT_PHONE_REGION") or "US",
        line_numbers=_line_numbers(optional_env("LINE_NUMBERS")),
    )


def _line_numbers(raw: str | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """LINE_NUMBERS: a JSON object of policy line name -> list of numbers (the policy checks the numbers)."""
    if raw is None:
        return ()
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SettingsError("LINE_NUMBERS must be a JSON object of line name to a list of numbers") from exc
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(n, str) for n in v) for k, v in value.items()
    ):
        raise SettingsError("LINE_NUMBERS must be a JSON object of line name to a list of numbers")
    return tuple(sorted((line, tuple(numbers)) for line, numbers in value.items()))


def reset_settings_cache() -> None:
    """For the local runtime and tests, after changing the environment."""
    routing_settings.cache_clear()
