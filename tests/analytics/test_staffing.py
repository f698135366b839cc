"""The roster (PuLP), the staffing file it writes, and the commands end to end on a small generated history."""

import csv
import json
from datetime import date

import pytest

from analytics.roster import ShiftFileError, parse_shifts, solve_day, staffing_document
from callcenter.cli import main
from callcenter.queueing.staffing import parse_staffing

SHIFTS = parse_shifts({"version": 1, "shifts": [
    {"name": "full", "hours": 8, "earliest_start": "06:00", "latest_start": "12:00"},
    {"name": "part", "hours": 4, "earliest_start": "06:00", "latest_start": "20:00"}]})
MONDAY = date(2026, 12, 7)


def test_the_roster_covers_every_half_hour_with_the_fewest_agent_hours():
    required = [0] * 16 + [2] * 16 + [4] * 8 + [1] * 8  # 08:00-16:00 two, 16:00-20:00 four, then one to midnight
    roster = solve_day("billing", MONDAY, required, SHIFTS)
    assert all(s >= r for s, r in zip(roster.scheduled, required, strict=True))
    # Lower bound: the requirement's own agent-hours (16 + 16 + 4 = 36) is reachable with these shifts.
    assert roster.agent_hours == 36 and roster.uncovered == ()


def test_a_half_hour_no_shift_can_cover_is_reported_not_infeasible():
    required = [1] * 48
    roster = solve_day("vip", MONDAY, required, SHIFTS)
    assert roster.uncovered == tuple(range(12))  # nothing starts before 06:00
    assert all(s >= 1 for s in roster.scheduled[12:])


def test_the_roster_writes_the_staffing_file_the_queue_model_reads():
    roster = solve_day("billing", MONDAY, [0] * 16 + [3] * 16 + [0] * 16, SHIFTS)
    document = staffing_document([roster], "America/New_York", "test")
    staffing = parse_staffing(json.dumps(document))
    assert staffing.headcount() == 3
    assert {s.days for s in staffing.shifts.values()} == {("MONDAY",)}


@pytest.mark.parametrize(("change", "message"), [
    ({"hours": 0}, "Expected `float` >= 0|greater than 0|> 0"),
    ({"latest_start": "20:00"}, "ends after midnight"),
    ({"earliest_start": "7:15"}, "HH:00 or HH:30"),
    ({"earliest_start": "13:00"}, "after latest_start"),
])
def test_a_bad_shift_file_says_where_and_why(change, message):
    shift = {"name": "full", "hours": 8, "earliest_start": "06:00", "latest_start": "12:00"} | change
    with pytest.raises(ShiftFileError, match=message):
        parse_shifts({"version": 1, "shifts": [shift]})


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    out = tmp_path_factory.mktemp("history")
    assert main(["history", "--weeks", "3", "--calls-per-day", "150", "--out", str(out), "--seed", "5"]) == 0
    return out


def test_forecast_then_staff_end_to_end(history, tmp_path, capsys):
    forecast_dir, plan_dir = tmp_path / "forecast", tmp_path / "plan"
    assert main(["forecast", "--history", str(history), "--days", "2", "--out", str(forecast_dir)]) == 0
    printed = capsys.readouterr().out
    assert "(MSTL + exponential smoothing)" in printed and "2026-11-23" in printed
    rows = list(csv.DictReader((forecast_dir / "forecast.csv").open()))
    assert {r["date"] for r in rows} == {"2026-11-23", "2026-11-24"}
    assert len(rows) == 2 * 48 * len({r["queue"] for r in rows})
    meta = json.loads((forecast_dir / "forecast.json").read_text())
    assert meta["queues"]["billing"]["aht_seconds"] > 0

    main(["staff", "--forecast", str(forecast_dir), "--out", str(plan_dir), "--days", "1"])
    printed = capsys.readouterr().out
    assert "Simulated check of 2026-11-23" in printed and "Erlang A" in printed
    staffing = parse_staffing((plan_dir / "staffing-2026-11-23.json").read_bytes())
    assert staffing.headcount() > 0
    roster = list(csv.DictReader((plan_dir / "roster.csv").open()))
    assert sum(int(r["agents"]) for r in roster) == staffing.headcount()
    requirements = list(csv.DictReader((plan_dir / "requirements.csv").open()))
    assert all(int(r["agents_rostered"]) >= int(r["agents_scheduled"]) for r in requirements)
    page = (plan_dir / "staffing.html").read_text()
    assert page.count("<svg") >= 3
    assert not any(fetch in page for fetch in ('src="http', "<link", "<script", "url(http"))  # works offline


def test_too_little_history_falls_back_and_says_so(tmp_path, capsys):
    short = tmp_path / "short"
    assert main(["history", "--weeks", "1", "--calls-per-day", "60", "--out", str(short), "--seed", "3"]) == 0
    capsys.readouterr()
    assert main(["forecast", "--history", str(short), "--days", "3", "--out", str(tmp_path / "f")]) == 0
    out = capsys.readouterr().out
    assert "seasonal naive" in out and "needs 15" in out


def test_bad_folders_are_refused_without_a_traceback(tmp_path, capsys):
    assert main(["forecast", "--history", str(tmp_path / "none"), "--out", str(tmp_path / "f")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["forecast", "--history", str(tmp_path / "empty"), "--out", str(tmp_path / "f")]) == 2
    assert "nothing to forecast" in capsys.readouterr().err
    assert main(["staff", "--forecast", str(tmp_path / "empty"), "--out", str(tmp_path / "p")]) == 2
    assert "holds no forecast.json" in capsys.readouterr().err
