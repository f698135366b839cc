"""The outreach functions' settings, read from the environment on each use (never at import time).

The variable names are declared in functions/manifest.py; CDK fills them with deployed values
and the local runtime with local ones.
"""

from __future__ import annotations

import msgspec

from functions.common.settings import number_env, optional_env, require_env

QUEUE_URL = "OUTREACH_QUEUE_URL"


class SenderSettings(msgspec.Struct, frozen=True):
    instance_id: str
    outreach_flow_id: str
    caller_queue_arn: str  # the Connect queue whose outbound caller id places the calls
    queue_url: str
    sms_origination_identity: str | None  # None: SMS outreach disabled


def outreach_queue_url() -> str:
    return require_env(QUEUE_URL)


def planner_sends_per_second() -> float | None:
    """OUTREACH_SENDS_PER_SECOND (functions/manifest.py): the pace the planner spreads contacts at; unset: none."""
    value = number_env("OUTREACH_SENDS_PER_SECOND", 0.0, 0.0, 10_000.0)
    return value or None


def sender_settings() -> SenderSettings:
    return SenderSettings(
        instance_id=require_env("CONNECT_INSTANCE_ID"),
        outreach_flow_id=require_env("OUTREACH_FLOW_ID"),
        caller_queue_arn=require_env("OUTREACH_CALLER_QUEUE_ARN"),
        queue_url=require_env(QUEUE_URL),
        sms_origination_identity=optional_env("SMS_ORIGINATION_IDENTITY"),
    )
