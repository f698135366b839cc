"""The simulated day queues its calls in the queue model and leaves a contact record for every contact."""

import itertools
from datetime import date
from pathlib import Path

import msgspec
import pytest

from callcenter.cli import main
from callcenter.queueing.staffing import load_staffing, parse_staffing
from tests.conftest import DEMO_PROFILES

DAY = date(2026, 11, 24)


def read_records(folder: Path) -> list[dict]:
    return [msgspec.json.decode(line) for path in sorted(folder.rglob("*.jsonl"))
            for line in path.read_bytes().splitlines() if line]


def run_a_day(calls, seed, staffing=None, watch=None):
    from callcenter.backend import LocalBackend
    from callcenter.day import plan_day, run_day
    from callcenter.records import ContactLog
    from functions.profiles.importer import import_profile_file

    profiles = import_profile_file(DEMO_PROFILES).accepted
    log = ContactLog()
    with LocalBackend() as local:
        local.load_profiles(profiles)
        report = run_day(local, plan_day(profiles, calls, seed, DAY), seed=seed, staffing=staffing, log=log,
                         watch=watch)
    return report, log.records


@pytest.fixture(scope="module")
def demo_day():
    return run_a_day(60, 3)


def test_every_contact_of_the_day_has_one_record_in_connects_shape(demo_day):
    report, records = demo_day
    inbound = [r for r in records if r["InitiationMethod"] == "INBOUND"]
    surveys = [r for r in records if r["InitiationMethod"] == "API"]
    # Every call, once; every voice survey call placed, as the API call Connect shows it
    assert len(inbound) == report.calls == 60
    assert len({r["ContactId"] for r in records}) == len(records)
    assert len(surveys) == report.survey_calls > 0
    assert all(r["Queue"] is None and "survey_score" in r["Attributes"] for r in surveys)
    # The queue model's outcome is in the record: answered with an agent leg, abandoned without
    queued = [r for r in inbound if r["Queue"] is not None]
    answered = [r for r in queued if r["Agent"] is not None]
    assert len(queued) == sum(report.routed.values())
    assert len(answered) == report.answered_by_agent
    assert len(queued) - len(answered) == report.abandoned_in_queue
    for record in answered:
        assert record["Queue"]["DequeueTimestamp"] == record["Agent"]["ConnectedToAgentTimestamp"]
        # the agent's routing profile takes that queue: its own, or the default queue every profile takes second
        assert record["Queue"]["Name"] in (record["Agent"]["RoutingProfile"]["Name"], "general")
        assert record["Agent"]["AgentInteractionDuration"] > 0
    for record in queued:
        assert record["Queue"]["Name"] == record["Attributes"]["queue"]
        assert record["Queue"]["EnqueueTimestamp"] <= record["Queue"]["DequeueTimestamp"] <= record[
            "DisconnectTimestamp"]


def test_a_day_with_fewer_agents_answers_fewer_calls_later():
    # Given the demo's calls, once with the demo staffing and once with one agent per group
    full = load_staffing()
    thin = parse_staffing(msgspec.to_builtins(msgspec.structs.replace(
        full, agents=tuple(msgspec.structs.replace(g, count=min(g.count, 1)) for g in full.agents[:4]))))
    figures = {}
    for name, staffing in (("full", full), ("thin", thin)):
        report, records = run_a_day(40, 4, staffing=staffing)
        waits = [r["Queue"]["Duration"] for r in records if r["Queue"] is not None]
        figures[name] = (report.abandoned_in_queue, sum(waits) / len(waits))
    # Then more hang up and the wait is longer
    assert figures["thin"][0] > figures["full"][0]
    assert figures["thin"][1] > figures["full"][1]


def test_the_live_view_sees_the_queues_each_simulated_minute():
    from callcenter.day import QueueWatch

    seen = []
    report, _records = run_a_day(20, 5, watch=QueueWatch(lambda moment, status: seen.append((moment, status)), 60))
    moments = [moment for moment, _ in seen]
    assert len(moments) == 24 * 60  # the center's midnight to midnight, once a simulated minute
    assert all((b - a).total_seconds() == 60 for a, b in itertools.pairwise(moments))
    # At 03:00 only the VIP night agent works (their profile takes general second); at noon both shifts do
    assert seen[3 * 60][1]["general"].agents_staffed == 1
    on_at_noon = sum(g.count for g in load_staffing().agents if g.shift in ("weekday-early", "weekday-late", "vip-day"))
    assert seen[12 * 60][1]["general"].agents_staffed == on_at_noon == 13
    levels = [s.service_level for _, status in seen for s in status.values() if s.service_level is not None]
    assert levels and all(0 <= level <= 1 for level in levels) and report.calls == 20


def test_simulate_writes_the_records_and_the_same_day_twice_writes_the_same_files(tmp_path, capsys):
    args = ["simulate", "--calls", "15", "--seed", "2", "--profiles", str(DEMO_PROFILES), "--date", DAY.isoformat(),
            "--records", str(tmp_path)]
    assert main(args) == 0
    first = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*.jsonl")}
    assert main(args) == 0
    again = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*.jsonl")}
    assert first == again and Path("contact_records/dt=2026-11-24/part-00000.jsonl") in first
    out = capsys.readouterr().out
    assert f"callcenter report --from {tmp_path}" in out


def test_simulate_live_draws_the_queue_table(capsys):
    assert main(["simulate", "--calls", "5", "--seed", "2", "--date", DAY.isoformat(), "--live"]) == 0
    out = capsys.readouterr().out
    assert "service level (15 min)" in out and "agents available / staffed" in out


def test_a_bad_staffing_file_stops_simulate_with_where_and_why(tmp_path):
    bad = tmp_path / "staffing.json"
    bad.write_text('{"version": 1, "time_zone": "UTC", "shifts": {}, '
                   '"agents": [{"shift": "day", "routing_profile": "general", "count": 2}]}')
    with pytest.raises(SystemExit, match="unknown shift 'day'"):
        main(["simulate", "--calls", "1", "--date", DAY.isoformat(), "--staffing", str(bad)])


def test_a_full_queue_comes_from_the_callers_already_waiting():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from callcenter.backend import LocalBackend
    from callcenter.calls import CallRequest
    from callcenter.day import CallPlan, run_day
    from callcenter.records import ContactLog

    # Given nobody staffed and room for one waiting caller per queue
    staffing = parse_staffing({"version": 1, "time_zone": "UTC", "max_contacts_in_queue": 1, "shifts": {},
                               "agents": []})
    ten = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("America/New_York"))
    plans = [CallPlan(CallRequest(caller=None, at=ten.replace(second=s), keys=(None,), contact_id=f"full-{s}"),
                      "withheld") for s in (0, 50)]
    log = ContactLog()
    # When two withheld callers (the general queue) call fifty seconds apart (the first is in the queue by then)
    with LocalBackend() as local:
        report = run_day(local, plans, seed=1, staffing=staffing, log=log)
    first, second = sorted(log.records, key=lambda r: r["ContactId"])
    # Then the first waits and gives up, and the second finds the queue full and hears that everyone is busy
    assert first["Queue"]["Name"] == "general" and first["Agent"] is None
    assert second["Queue"] is None and report.outcomes["queued"] == 1
    assert second["Attributes"]["routing_note"].startswith("the chosen queue was full")
