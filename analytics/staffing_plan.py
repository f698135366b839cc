"""From a forecast to a staffing plan: agents required per queue and half hour (Erlang A or C), the roster, files.

The forecast folder (``callcenter forecast --out DIR``) holds ``forecast.csv`` (queue, date, interval_start,
calls) and ``forecast.json`` (the time zone, the days, and per queue the AHT and the callers' patience estimated
from the records, the method and notes). The plan for each queue and half hour: the fewest agents on the phones
whose service level (the policy's queue target: share removed from the queue within its seconds) is reached and
occupancy stays within the maximum, by Erlang A with the queue's patience (Erlang C where no caller abandoned or
asked for), then shrinkage added (scheduled = on the phones / (1 - shrinkage)); a target out of reach within the
maximum agents is reported with the best reachable service level. The roster (analytics/roster.py) covers the
scheduled figure per day and queue; it is written as a CSV and as the staffing file the queue model reads.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from analytics.erlang import Figures, Requirement, figures, required_agents
from analytics.roster import SLOTS, DayRoster, ShiftFile, clock, solve_day, staffing_document

INTERVAL_S = 1800
FORECAST_CSV, FORECAST_JSON = "forecast.csv", "forecast.json"


class PlanError(ValueError):
    """The forecast folder or a parameter cannot give a plan; the message says what and where."""


@dataclass(frozen=True)
class QueueParameters:
    queue: str
    aht_seconds: float
    patience_seconds: float | None
    answer_within_seconds: float
    target: float


@dataclass(frozen=True)
class ForecastFolder:
    time_zone: str
    first: date
    days: int
    calls: dict[str, list[list[float]]]  # queue -> day -> 48 half hours
    meta: dict[str, Any]


def write_forecast(out: Path, *, time_zone: str, first: date, days: int, calls: Mapping[str, Any],
                   meta: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (out / FORECAST_CSV).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["queue", "date", "interval_start", "calls"])
        for queue, matrix in sorted(calls.items()):
            for offset in range(days):
                day = first + timedelta(days=offset)
                for slot in range(SLOTS):
                    writer.writerow([queue, day.isoformat(), clock(slot), f"{float(matrix[offset][slot]):.3f}"])
    document = {"version": 1, "time_zone": time_zone, "first_day": first.isoformat(), "days": days, **meta}
    (out / FORECAST_JSON).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def read_forecast(folder: Path) -> ForecastFolder:
    try:
        meta = json.loads((folder / FORECAST_JSON).read_text(encoding="utf-8"))
        first, days, zone = date.fromisoformat(meta["first_day"]), int(meta["days"]), str(meta["time_zone"])
    except FileNotFoundError as exc:
        raise PlanError(f"{folder} holds no {FORECAST_JSON}: write one with callcenter forecast --out") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise PlanError(f"{folder / FORECAST_JSON} is not a forecast's description: {exc}") from exc
    calls: dict[str, list[list[float]]] = {}
    try:
        with (folder / FORECAST_CSV).open(newline="", encoding="utf-8") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                try:
                    offset = (date.fromisoformat(row["date"]) - first).days
                    hours, minutes = row["interval_start"].split(":")
                    slot = int(hours) * 2 + int(minutes) // 30
                    value = float(row["calls"])
                except (ValueError, KeyError, AttributeError, TypeError) as exc:
                    raise PlanError(f"{folder / FORECAST_CSV} line {line}: {exc}") from exc
                if not (0 <= offset < days and 0 <= slot < SLOTS) or not math.isfinite(value) or value < 0:
                    raise PlanError(f"{folder / FORECAST_CSV} line {line}: outside the forecast's days or not a "
                                    f"count of calls ({row})")
                calls.setdefault(row["queue"], [[0.0] * SLOTS for _ in range(days)])[offset][slot] = value
    except FileNotFoundError as exc:
        raise PlanError(f"{folder} holds no {FORECAST_CSV}") from exc
    if not calls:
        raise PlanError(f"{folder / FORECAST_CSV} forecasts no queue")
    return ForecastFolder(zone, first, days, calls, meta)


def queue_parameters(folder: ForecastFolder, policy: Any, *, use_patience: bool = True) -> dict[str, QueueParameters]:
    """Each forecast queue's AHT and patience (forecast.json) and its service-level target (the policy)."""
    result = {}
    for queue in folder.calls:
        stats = folder.meta.get("queues", {}).get(queue, {})
        if queue not in policy.queues:
            raise PlanError(f"the forecast's queue {queue!r} is not a queue of the routing policy")
        level = policy.queues[queue].service_level
        aht = stats.get("aht_seconds")
        if not aht or aht <= 0:
            raise PlanError(f"{queue}: the forecast has no AHT (no answered contact in its history)")
        result[queue] = QueueParameters(queue, float(aht), stats.get("patience_seconds") if use_patience else None,
                                        float(level.seconds if level else 20), float(level.target if level else 0.8))
    return result


@dataclass(frozen=True)
class IntervalPlan:
    calls: float
    requirement: Requirement


def plan_requirements(folder: ForecastFolder, parameters: Mapping[str, QueueParameters], *, max_occupancy: float,
                      shrinkage: float, max_agents: int) -> dict[str, list[list[IntervalPlan]]]:
    plans: dict[str, list[list[IntervalPlan]]] = {}
    for queue, days in folder.calls.items():
        p = parameters[queue]
        plans[queue] = [[IntervalPlan(calls, required_agents(
            calls, INTERVAL_S, p.aht_seconds, p.answer_within_seconds, p.target, patience_s=p.patience_seconds,
            max_occupancy=max_occupancy, shrinkage=shrinkage, max_agents=max_agents)) for calls in day]
            for day in days]
    return plans


def roster_all(folder: ForecastFolder, plans: Mapping[str, list[list[IntervalPlan]]],
               shifts: ShiftFile) -> list[DayRoster]:
    rosters = []
    for queue, days in sorted(plans.items()):
        for offset, day in enumerate(days):
            rosters.append(solve_day(queue, folder.first + timedelta(days=offset),
                                     [plan.requirement.scheduled for plan in day], shifts))
    return rosters


def predicted(parameters: QueueParameters, calls: float, agents: int, *, erlang_c: bool = False) -> Figures:
    return figures(agents, calls, INTERVAL_S, parameters.aht_seconds, parameters.answer_within_seconds,
                   None if erlang_c else parameters.patience_seconds)


def write_plan(out: Path, folder: ForecastFolder, parameters: Mapping[str, QueueParameters],
               plans: Mapping[str, list[list[IntervalPlan]]], rosters: list[DayRoster]) -> list[Path]:
    """requirements.csv, roster.csv and one staffing file per day (staffing-YYYY-MM-DD.json)."""
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "requirements.csv", out / "roster.csv"]
    by_key = {(r.queue, r.day): r for r in rosters}
    with written[0].open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["queue", "date", "interval_start", "calls", "agents_on_phones", "agents_scheduled",
                         "agents_rostered", "service_level_required", "service_level_rostered", "target",
                         "target_reached"])
        for queue, days in sorted(plans.items()):
            for offset, day in enumerate(days):
                current = folder.first + timedelta(days=offset)
                rostered = by_key[queue, current].scheduled
                for slot, plan in enumerate(day):
                    at_roster = predicted(parameters[queue], plan.calls, rostered[slot])
                    writer.writerow([queue, current.isoformat(), clock(slot), f"{plan.calls:.2f}",
                                     plan.requirement.figures.agents, plan.requirement.scheduled, rostered[slot],
                                     f"{plan.requirement.figures.service_level:.4f}",
                                     f"{at_roster.service_level:.4f}", parameters[queue].target,
                                     "yes" if plan.requirement.reached else "no"])
    with written[1].open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["date", "queue", "shift", "start", "end", "agents"])
        for roster in sorted(rosters, key=lambda r: (r.day, r.queue)):
            for item in roster.assignments:
                writer.writerow([roster.day.isoformat(), roster.queue, item.kind, clock(item.start),
                                 clock(item.start + item.length), item.agents])
    for offset in range(folder.days):
        current = folder.first + timedelta(days=offset)
        document = staffing_document([r for r in rosters if r.day == current], folder.time_zone,
                                     f"Roster for {current.isoformat()} ({current:%A}) from the forecast: written by "
                                     "callcenter staff (analytics/roster.py).")
        path = out / f"staffing-{current.isoformat()}.json"
        path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
        written.append(path)
    return written
