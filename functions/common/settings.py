"""Settings read from the environment lazily (never at import time) and validated once.

The variable names are declared in functions/manifest.py; CDK fills them with
deployed values and the local runtime with local ones.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache


class SettingsError(RuntimeError):
    """A required environment variable is missing or malformed."""


@dataclass(frozen=True)
class RoutingSettings:
    profiles_table: str
    queue_arns: dict[str, str]
    default_region: str
    ddb_connect_timeout_s: float
    ddb_read_timeout_s: float
    ddb_max_attempts: int


def _require(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise SettingsError(f"environment variable {name} is required")
    return value


def _float(name: str, default: float, low: float, high: float) -> float:
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


@lru_cache(maxsize=1)
def routing_settings() -> RoutingSettings:
    raw_arns = _require("QUEUE_ARNS")
    try:
        queue_arns = json.loads(raw_arns)
    except json.JSONDecodeError as exc:
        raise SettingsError("QUEUE_ARNS must be a JSON object of queue name to ARN") from exc
    if not isinstance(queue_arns, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in queue_arns.items()
    ):
        raise SettingsError("QUEUE_ARNS must be a JSON object of queue name to ARN")
    return RoutingSettings(
        profiles_table=_require("PROFILES_TABLE_NAME"),
        queue_arns=queue_arns,
        default_region=os.environ.get("DEFAULT_PHONE_REGION", "US").strip() or "US",
        ddb_connect_timeout_s=_float("DDB_CONNECT_TIMEOUT_SECONDS", 0.5, 0.05, 5.0),
        ddb_read_timeout_s=_float("DDB_READ_TIMEOUT_SECONDS", 0.8, 0.05, 5.0),
        ddb_max_attempts=int(_float("DDB_MAX_ATTEMPTS", 2, 1, 5)),
    )


def reset_settings_cache() -> None:
    """For the local runtime and tests, after changing the environment."""
    routing_settings.cache_clear()
