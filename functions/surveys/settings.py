"""The survey functions' settings, read from the environment on each use (never at import time).

The variable names are declared in functions/manifest.py; CDK fills them with deployed values
and the local runtime with local ones. Reading a handful of variables per invocation is cheap and
means a changed environment (a test, the local runtime) is never served stale.
"""

from __future__ import annotations

import msgspec

from functions.common.settings import optional_env, require_env


class DispatcherSettings(msgspec.Struct, frozen=True):
    instance_id: str
    survey_flow_id: str
    survey_queue_arn: str
    requests_queue_url: str
    sms_origination_identity: str | None  # None: SMS surveys disabled


def dispatcher_settings() -> DispatcherSettings:
    return DispatcherSettings(
        instance_id=require_env("CONNECT_INSTANCE_ID"),
        survey_flow_id=require_env("SURVEY_FLOW_ID"),
        survey_queue_arn=require_env("SURVEY_QUEUE_ARN"),
        requests_queue_url=require_env("SURVEY_REQUESTS_QUEUE_URL"),
        sms_origination_identity=optional_env("SMS_ORIGINATION_IDENTITY"),
    )
