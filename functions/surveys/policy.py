"""The survey policy as data (policy.json), validated at load.

- `cooldown_days`: a customer is surveyed at most once in this many days.
- `quiet_hours`: no survey call or SMS between `start` and `end` in the customer's own time zone
  (it may wrap midnight, e.g. 20:00-09:00); a survey due then is delayed to `end`, not dropped.
- `center_time_zone`: the zone used when neither the profile nor the number tells the customer's.
- `low_score_threshold`: scores from 1 up to this open a follow-up.
- `max_delay_seconds`: the longest delay of one SQS hop (SQS allows at most 900 s).
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from msgspec import Meta

from functions.common.documents import Strict, decode_document
from functions.common.quiet_hours import SQS_MAX_DELAY_SECONDS, QuietHours
from functions.common.zones import require_zone

POLICY_PATH = Path(__file__).with_name("policy.json")


class SurveyPolicyError(ValueError):
    """The survey policy file is invalid; the message says where and why."""


class SurveyPolicy(Strict, kw_only=True):
    version: Literal[1]
    center_time_zone: str
    cooldown_days: Annotated[int, Meta(ge=0, le=365)]
    quiet_hours: QuietHours
    low_score_threshold: Annotated[int, Meta(ge=1, le=4)]
    max_delay_seconds: Annotated[int, Meta(ge=1, le=SQS_MAX_DELAY_SECONDS)]

    def __post_init__(self) -> None:
        require_zone(self.center_time_zone, "center_time_zone")

    @property
    def cooldown(self) -> timedelta:
        return timedelta(days=self.cooldown_days)


def parse_survey_policy(document: str | bytes | dict) -> SurveyPolicy:
    """Validate a policy document; raise SurveyPolicyError saying what is wrong and where."""
    return decode_document(document, SurveyPolicy, SurveyPolicyError, "survey policy")


@lru_cache(maxsize=4)
def load_survey_policy(path: Path = POLICY_PATH) -> SurveyPolicy:
    return parse_survey_policy(Path(path).read_text(encoding="utf-8"))
