"""`callcenter history`: weeks of records with seasonality, holidays and events, the routing code in memory."""

from collections import Counter
from datetime import date, datetime
from pathlib import Path

import msgspec
import pytest

from callcenter.cli import main
from callcenter.history.calendar import CalendarError, load_calendar, parse_calendar
from callcenter.history.contacts import generate_history
from callcenter.queueing.staffing import load_staffing
from functions.profiles.importer import import_profile_file
from functions.routing.policy import load_policy
from tests.conftest import DEMO_PROFILES

START = date(2026, 11, 23)  # a Monday; Thursday the 26th is Thanksgiving, Friday the 27th Black Friday


def read(folder: Path) -> list[dict]:
    return [msgspec.json.decode(line) for path in sorted(folder.rglob("*.jsonl"))
            for line in path.read_bytes().splitlines()]


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    out = tmp_path_factory.mktemp("history")
    run = generate_history(start=START, weeks=1, calls_per_day=600, out=out, policy=load_policy(),
                           staffing=load_staffing(), calendar=load_calendar(),
                           profiles=import_profile_file(DEMO_PROFILES).accepted, seed=3)
    return run, out, read(out)


def local_day(record):
    from zoneinfo import ZoneInfo

    at = datetime.fromisoformat(record["InitiationTimestamp"].replace("Z", "+00:00"))
    return at.astimezone(ZoneInfo("America/New_York")).date()


def test_the_calendar_shapes_the_week(week):
    _run, _out, records = week
    per_day = Counter(local_day(r) for r in records if r["InitiationMethod"] == "INBOUND")
    monday, tuesday, thanksgiving, black_friday, sunday = (
        per_day[date(2026, 11, d)] for d in (23, 24, 26, 27, 29))
    assert monday > tuesday > sunday  # weekly seasonality
    assert thanksgiving < tuesday / 3  # a holiday is quiet
    assert black_friday > 600  # an event day is busy (Friday 0.9 x 1.5)
    # On the event day the callers who choose from the menu choose sales far more often
    chosen = {day: Counter(r["Attributes"]["intent"] for r in records
                           if r["InitiationMethod"] == "INBOUND" and local_day(r) == day and r["Attributes"]["intent"])
              for day in (date(2026, 11, 24), date(2026, 11, 27))}
    share = {day: c["sales"] / sum(c.values()) for day, c in chosen.items()}
    assert share[date(2026, 11, 27)] > 2 * share[date(2026, 11, 24)]


def test_the_intraday_curve_puts_calls_in_the_morning_peak_not_at_night(week):
    _run, _out, records = week
    from zoneinfo import ZoneInfo

    hours = Counter(datetime.fromisoformat(r["InitiationTimestamp"].replace("Z", "+00:00"))
                    .astimezone(ZoneInfo("America/New_York")).hour
                    for r in records if r["InitiationMethod"] == "INBOUND")
    assert hours[10] > 10 * hours[3]


def test_each_call_is_decided_by_the_routing_rules_and_queued_ones_wait_for_agents(week):
    run, _out, records = week
    inbound = [r for r in records if r["InitiationMethod"] == "INBOUND"]
    reasons = Counter(r["Attributes"]["reason"] for r in inbound)
    assert {"VIP_LINE", "VIP_TIER", "SKILL_MATCH", "UNKNOWN_CALLER", "WITHHELD_NUMBER", "ANONYMOUS_CHAT"} <= set(
        reasons)
    for record in inbound:
        attributes = record["Attributes"]
        if attributes["after_hours"] == "true":
            assert record["Queue"] is None and record["DisconnectReason"] == "CONTACT_FLOW_DISCONNECT"
        else:
            assert record["Queue"]["Name"] == attributes["queue"]
    queued = [r for r in inbound if r["Queue"]]
    assert run.queued == len(queued) and run.answered == sum(1 for r in queued if r["Agent"])
    vip = [r["Queue"]["Duration"] for r in queued if r["Attributes"]["priority"] == "1"]
    others = [r["Queue"]["Duration"] for r in queued if r["Attributes"]["priority"] == "5"]
    assert sum(vip) / len(vip) < sum(others) / len(others)


def test_surveys_follow_answered_known_callers_as_api_calls(week):
    _run, _out, records = week
    by_id = {r["ContactId"]: r for r in records}
    surveys = [r for r in records if r["InitiationMethod"] == "API"]
    assert surveys
    for survey in surveys:
        call = by_id[survey["Attributes"]["survey_contact_id"]]
        assert call["Agent"] is not None and call["Attributes"]["customer_id"]
        assert survey["InitiationTimestamp"] > call["DisconnectTimestamp"]
        assert survey["Attributes"]["survey_score"] in {"1", "2", "3", "4", "5", "none"}


def test_the_same_arguments_write_the_same_files(week, tmp_path):
    _run, out, _records = week
    generate_history(start=START, weeks=1, calls_per_day=600, out=tmp_path, policy=load_policy(),
                     staffing=load_staffing(), calendar=load_calendar(),
                     profiles=import_profile_file(DEMO_PROFILES).accepted, seed=3)
    files = sorted(p.relative_to(out) for p in out.rglob("*.jsonl"))
    assert files == sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.jsonl"))
    assert all((out / f).read_bytes() == (tmp_path / f).read_bytes() for f in files)


def test_the_command_writes_weeks_and_says_where(tmp_path, capsys):
    assert main(["history", "--weeks", "1", "--calls-per-day", "50", "--out", str(tmp_path), "--seed", "2"]) == 0
    out = capsys.readouterr().out
    assert "for 7 days from 2026-11-02 to 2026-11-08" in out and "contacts per minute" in out
    assert len(list((tmp_path / "contact_records").iterdir())) >= 7


@pytest.mark.parametrize(("change", "message"), [
    ({"weekly": {"MONDAY": 1.0}}, "weekly needs every day"),
    ({"intraday": [1.0] * 23}, "$.intraday"),
    ({"intraday": [0.0] * 24}, "at least one hour"),
    ({"events": [{"date": "2026-12-01", "name": "x", "volume": 2, "intents": {"lottery": 2}}]}, "lottery"),
    ({"holidays": [{"date": "2026-13-01", "name": "x", "volume": 0}]}, "$.holidays[0].date"),
    ({"holidays": [{"date": "2026-12-25", "name": "a", "volume": 0}, {"date": "2026-12-25", "name": "b", "volume": 0}]},
     "listed twice"),
])
def test_a_bad_calendar_is_refused_with_where_and_why(change, message):
    document = {"version": 1, "weekly": dict.fromkeys(
        ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"), 1.0),
        "intraday": [1.0] * 24, **change}
    with pytest.raises(CalendarError) as error:
        parse_calendar(document, load_policy().intents)
    assert message in str(error.value)


def test_a_bad_calendar_file_stops_the_command(tmp_path):
    bad = tmp_path / "calendar.json"
    bad.write_text("[]")
    with pytest.raises(SystemExit, match="calendar file is invalid"):
        main(["history", "--weeks", "1", "--calls-per-day", "5", "--out", str(tmp_path), "--calendar", str(bad)])
