"""The routing policy file: loads, validates, and answers hours questions correctly."""

import copy
import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from functions.routing.policy import POLICY_PATH, PolicyError, load_policy, parse_policy

NY = ZoneInfo("America/New_York")


@pytest.fixture
def document():
    return json.loads(POLICY_PATH.read_text())


def test_the_shipped_policy_is_valid_and_complete():
    policy = load_policy()
    assert policy.default_queue in policy.queues
    assert [r.id for r in policy.rules][:3] == ["vip-line", "vip-tier", "repeat-complainer"]
    assert policy.intents == {"billing", "support", "sales", "renewal", "ticket"}


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["rules"][0]["route"].update(queue="nowhere"), "routes to unknown queue 'nowhere'"),
        (lambda d: d["rules"][0]["route"].update(priority=9), "priority must be one of"),
        (lambda d: d["rules"][1].update(id="vip-line"), "rule id 'vip-line' is used twice"),
        (lambda d: d["rules"][0].update(when={}), "a rule needs at least one condition"),
        (lambda d: d["rules"][0]["when"].update(dialed_line="gold"), "unknown line 'gold'"),
        (lambda d: d["hours"]["business"].update(time_zone="Mars/Olympus"), "unknown IANA time zone"),
        (lambda d: d["hours"]["business"]["open"].update(MONDAY=["20:00", "08:00"]), "must be before closing"),
        (lambda d: d["hours"]["business"]["open"].update(MONDAY=["8am", "20:00"]), "times must be HH:MM"),
        (lambda d: d["queues"]["general"].update(hours="nights"), "uses unknown hours 'nights'"),
        (lambda d: d.update(default_queue="lobby"), "default_queue 'lobby' is not a queue"),
        (lambda d: d["lines"].update(vip=["800-555-0199"]), "is not a valid E.164 number"),
        (lambda d: d["rules"][2]["when"].update(tier_in=["platinum"]), "tier_in may only name"),
        (lambda d: d.update(surprise=True), "unknown field `surprise`"),
    ],
)
def test_an_invalid_policy_is_rejected_with_the_reason_and_location(document, mutate, expected):
    # Given a policy with one mistake
    broken = copy.deepcopy(document)
    mutate(broken)
    # When it is loaded / Then the error names the problem
    with pytest.raises(PolicyError, match="routing policy is invalid") as error:
        parse_policy(broken)
    assert expected in str(error.value)


def test_policy_that_is_not_json_is_a_clear_error():
    with pytest.raises(PolicyError, match="not valid JSON"):
        parse_policy("{rules: [}")


def test_business_hours_are_evaluated_in_their_own_time_zone():
    hours = load_policy().hours["business"]
    # Monday 2026-11-23 07:59 and 08:00 New York time
    assert not hours.is_open(datetime(2026, 11, 23, 7, 59, tzinfo=NY))
    assert hours.is_open(datetime(2026, 11, 23, 8, 0, tzinfo=NY))
    assert not hours.is_open(datetime(2026, 11, 23, 20, 0, tzinfo=NY))
    # 14:00 UTC is 09:00 in New York in winter
    assert hours.is_open(datetime(2026, 11, 23, 14, 0, tzinfo=UTC))
    # Sunday is closed
    assert not hours.is_open(datetime(2026, 11, 22, 12, 0, tzinfo=NY))


def test_next_opening_skips_closed_days_and_respects_daylight_saving():
    hours = load_policy().hours["business"]
    saturday_evening = datetime(2026, 11, 21, 18, 0, tzinfo=NY)
    assert hours.next_opening(saturday_evening) == datetime(2026, 11, 23, 8, 0, tzinfo=NY)
    # The night DST ends (Sunday 2026-11-01): Monday 08:00 New York is 13:00 UTC, not 12:00
    opening = hours.next_opening(datetime(2026, 10, 31, 23, 0, tzinfo=NY))
    assert opening.astimezone(UTC) == datetime(2026, 11, 2, 13, 0, tzinfo=UTC)


def test_round_the_clock_hours_are_always_open():
    hours = load_policy().hours["always"]
    for hour in range(24):
        assert hours.is_open(datetime(2026, 11, 22, hour, 30, tzinfo=UTC))
