"""The survey policy file: validated at load, with every problem named."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from functions.common.quiet_hours import QuietHours
from functions.surveys.policy import POLICY_PATH, SurveyPolicyError, load_survey_policy, parse_survey_policy

SHIPPED = json.loads(POLICY_PATH.read_text(encoding="utf-8"))
UTC_ZONE = ZoneInfo("UTC")


def test_the_shipped_policy_loads():
    policy = load_survey_policy()
    assert (policy.cooldown_days, policy.low_score_threshold, policy.max_delay_seconds) == (30, 2, 900)
    assert (policy.quiet_hours.start, policy.quiet_hours.end) == ("20:00", "09:00")


@pytest.mark.parametrize(("change", "where"), [
    ({"cooldown_days": -1}, "cooldown_days"),
    ({"max_delay_seconds": 901}, "max_delay_seconds"),  # SQS delays one message by at most 15 minutes
    ({"low_score_threshold": 5}, "low_score_threshold"),
    ({"center_time_zone": "Europe/Atlantis"}, "center_time_zone"),
    ({"quiet_hours": {"start": "25:00", "end": "09:00"}}, r"start must be HH:MM.*`\$\.quiet_hours`"),
    ({"quiet_hours": {"start": "09:00", "end": "09:00"}}, "quiet_hours"),
    ({"surprise": True}, "surprise"),
])
def test_an_invalid_policy_is_rejected_naming_where(change, where):
    with pytest.raises(SurveyPolicyError, match=where):
        parse_survey_policy({**SHIPPED, **change})


def test_a_policy_that_is_not_json_is_rejected():
    with pytest.raises(SurveyPolicyError, match="not valid JSON"):
        parse_survey_policy("{nope")


def test_quiet_hours_that_do_not_wrap_midnight_work_too():
    lunch = QuietHours(start="12:00", end="13:30")
    assert lunch.resume_at(datetime(2026, 5, 4, 11, 59, tzinfo=UTC), UTC_ZONE) is None
    assert lunch.resume_at(datetime(2026, 5, 4, 12, 45, tzinfo=UTC), UTC_ZONE) == datetime(
        2026, 5, 4, 13, 30, tzinfo=UTC_ZONE)
    assert lunch.resume_at(datetime(2026, 5, 4, 13, 30, tzinfo=UTC), UTC_ZONE) is None
