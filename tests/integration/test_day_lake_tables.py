"""A simulated day and an outreach day fill every lake table, and the KPI report of the lake agrees with the days'
own tallies: CSAT, ticket SLA, outreach conversion, occupancy, survey and reminder calls counted apart."""

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from analytics.kpis import policy_settings
from analytics.reader import load_lake
from analytics.report import build_report
from analytics.schema import AGENT_SESSIONS, OUTREACH_RESULTS, SURVEY_RESULTS, TICKET_RECORDS
from callcenter.cli import main
from functions.routing.policy import load_policy
from tests.conftest import DEMO_PROFILES

DAY = date(2026, 11, 24)  # a Tuesday
OUTREACH_DAY = date(2026, 12, 1)


def lake_report(root):
    con, load = load_lake(root)
    return build_report(con, load, policy_settings(), list(load_policy().queues))


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    """A short day run in process, its tables written to a lake: (the day's report, the lake's report, rows)."""
    from callcenter.backend import LocalBackend
    from callcenter.day import plan_day, run_day
    from callcenter.lake_tables import (
        agent_session_rows,
        survey_result_rows,
        ticket_record_rows,
        write_day_tables,
    )
    from callcenter.queueing.staffing import load_staffing
    from callcenter.records import ContactLog, replace_records
    from functions.profiles.importer import import_profile_file

    root = tmp_path_factory.mktemp("lake")
    profiles = import_profile_file(DEMO_PROFILES).accepted
    staffing = load_staffing()
    log = ContactLog()
    with LocalBackend() as local:
        local.load_profiles(profiles)
        day = run_day(local, plan_day(profiles, 80, 7, DAY), seed=7, staffing=staffing, log=log)
        rows = dict(surveys=survey_result_rows(), tickets=ticket_record_rows(),
                    sessions=agent_session_rows(staffing, DAY))
    replace_records(log.records, root, part=0)
    write_day_tables(root, part=0, **rows)
    return day, lake_report(root), rows


def test_the_lakes_csat_is_the_days_own(simulated):
    day, report, _rows = simulated
    assert day.surveys is not None and day.surveys.scores  # the day had answers to agree on
    csat = report["csat"]["overall"]
    assert csat["scores"] == len(day.surveys.scores)
    assert csat["csat"] == pytest.approx(day.surveys.csat)
    assert csat["avg_score"] == pytest.approx(sum(day.surveys.scores) / len(day.surveys.scores))
    assert csat["stated_fcr"] == pytest.approx(day.surveys.first_contact_resolution)


def test_the_days_tickets_are_judged_against_their_sla(simulated):
    day, report, rows = simulated
    tickets = report["tickets"]["overall"]
    assert day.tickets is not None and tickets["tickets"] == day.tickets.opened > 0
    assert tickets["judged"] > 0 and 0 <= tickets["sla_compliance"] <= 1
    resolved = [r for r in rows["tickets"] if r["ResolvedTimestamp"]]
    assert len(resolved) >= day.tickets.resolved_during_day  # resolved (some closed since) all carry the moment
    assert all(r["CreatedTimestamp"] < r["DueTimestamp"] for r in rows["tickets"])


def test_occupancy_is_handle_time_over_the_shifts_of_the_day(simulated):
    _day, report, rows = simulated
    occupancy = report["occupancy"]
    staffed = {a: f for a, f in occupancy["agents"].items() if f["staffed_seconds"]}
    # Every agent who answered a call that day was on a shift of the staffing file, under the same name.
    assert all(f["staffed_seconds"] for f in occupancy["agents"].values() if f["contacts"])
    assert occupancy["contacts_unstaffed"] == 0
    handle = sum(f["handle_seconds"] for f in staffed.values())
    assert occupancy["overall"] == pytest.approx(handle / sum(f["staffed_seconds"] for f in staffed.values()))
    assert 0 < occupancy["overall"] < 1
    # general, early shift, Tuesday: 08:00-16:30 New York.
    [session] = [r for r in rows["sessions"] if r["Username"] == "general-weekday-early-01"]
    assert (session["StartTimestamp"], session["EndTimestamp"]) == ("2026-11-24T13:00:00Z", "2026-11-24T21:30:00Z")


def test_survey_calls_are_counted_apart_by_their_call_type(simulated):
    day, report, _rows = simulated
    assert report["overall"]["survey_calls"] == day.survey_calls > 0
    assert report["overall"]["inbound_calls"] == day.calls


def test_agent_sessions_are_the_models_shifts_clipped_to_the_day():
    from callcenter.lake_tables import agent_session_rows
    from callcenter.queueing.staffing import load_staffing

    rows = agent_session_rows(load_staffing(), DAY)
    vip = [r for r in rows if r["Username"].startswith("vip-")]
    # vip-night 00:00-08:00, vip-day 08:00-20:00 and vip-evening 20:00-24:00 cover the day; each of their agents
    # is staffed for their own shift, within the day (midnight to midnight in New York).
    midnight = datetime(2026, 11, 24, tzinfo=ZoneInfo("America/New_York"))
    assert min(r["StartTimestamp"] for r in vip) == midnight.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert max(r["EndTimestamp"] for r in vip) == "2026-11-25T05:00:00Z"
    assert len({r["Username"] for r in rows}) == len(rows)  # one session per agent on a weekday
    assert not [r for r in rows if r["Username"].startswith(("general-saturday", "support-saturday"))]


def test_simulate_and_outreach_fill_one_lake_and_a_rerun_replaces(tmp_path, capsys):
    simulate = ["simulate", "--calls", "20", "--seed", "3", "--profiles", str(DEMO_PROFILES), "--date",
                DAY.isoformat(), "--records", str(tmp_path)]
    outreach = ["outreach", "--date", OUTREACH_DAY.isoformat(), "--profiles", str(DEMO_PROFILES),
                "--records", str(tmp_path)]
    assert main(simulate) == 0 and main(outreach) == 0
    first = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*.jsonl")}
    assert main(simulate) == 0 and main(outreach) == 0
    again = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*.jsonl")}
    assert first == again  # the same files: replaced, not appended
    tables = {path.parts[0] for path in first}
    assert {SURVEY_RESULTS, TICKET_RECORDS, OUTREACH_RESULTS, AGENT_SESSIONS} <= tables
    capsys.readouterr()
    assert main(["report", "--from", str(tmp_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    reminder_calls = [json.loads(line) for path, text in first.items()
                      if path.parts[0] == "contact_records" and f"dt={OUTREACH_DAY.isoformat()}" in path.parts
                      for line in text.splitlines() if line]
    assert reminder_calls and all(r["Attributes"]["call_type"] == "outreach" for r in reminder_calls)
    assert report["overall"]["outreach_calls"] == len(reminder_calls)
    outreach_rows = [json.loads(line) for path, text in first.items() if path.parts[0] == OUTREACH_RESULTS
                     for line in text.splitlines() if line]
    converted = [r for r in outreach_rows if r["Converted"]]
    # A conversion is a reminder call whose customer asked for an agent: the flow queued it (intent renewal).
    queued = {r["ContactId"] for r in reminder_calls if r["Attributes"].get("intent") == "renewal"}
    assert {r["ContactId"] for r in converted} == queued
    figures = report["outreach"]["overall"]
    assert figures["attempts"] == len(outreach_rows) >= len(reminder_calls)
    assert figures["conversion_rate"] == pytest.approx(len(converted) / len(outreach_rows))
    for key in (report["csat"]["overall"]["csat"], report["tickets"]["overall"]["sla_compliance"],
                report["occupancy"]["overall"]):
        assert key is not None
    assert report["overall"]["fcr_7d_note"].startswith("not judged")  # one day of inbound calls: window beyond
