"""Contacts per queue and half hour for the coming days, from the contact records, with a backtest.

The history: inbound contacts offered per queue per local half hour (``sql/forecast_input.sql`` on the lake read by
``analytics.reader``; 48 half hours a local day, a fall-back day's repeated hour added to its slot). Days with no
record at all inside the history are gaps: filled with the same day a week before (or after) and reported.

The model (statsmodels): MSTL splits each queue's series into a daily (48) and a weekly (336) seasonal part, a
trend and a remainder; the seasonally adjusted series (trend + remainder) is forecast by simple exponential
smoothing (Holt-Winters' level) and the two seasonal parts are repeated from their last cycle. Known days come from
the calendar file (callcenter/history/calendar.py): the history is divided by each holiday's or event's volume
factor before fitting, and the forecast multiplied by the coming day's. Reminder calls sent by the outreach planner
bring calls back: ``extra_calls`` adds them to a queue's day, spread like the day's own calls.

MSTL needs more than two weekly cycles: with less than 15 days of history the forecast says so and falls back to
seasonal naive (the same half hour a week before); with less than 7 days there is nothing to forecast from (an
error).

The backtest (``backtest``) is a rolling origin: at each origin the model is fitted on the history before it and
forecasts the next `horizon` days; WAPE (sum |actual - forecast| / sum actual) per horizon day, beside seasonal
naive's. statsmodels and pandas are imported here only: nothing in functions/ or the Lambda asset imports this.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np

SLOTS = 48
DAILY, WEEKLY = SLOTS, 7 * SLOTS
#: MSTL keeps a seasonal period only when the series is longer than two of its cycles: two weeks and a day.
MIN_MODEL_DAYS = 15
MIN_DAYS = 7
ITERATIONS = 2
#: Seasonal smoothing: a local mean (degree 0) over many cycles, since a linear one over few cycles extrapolates
#: their noise (measured by the backtest).
SEASONAL_WINDOWS = (21, 21)
#: Exponential smoothing of the seasonally adjusted level: a span of one week of half hours.
LEVEL_SMOOTHING = 2 / (WEEKLY + 1)


class ForecastError(ValueError):
    """The history cannot give a forecast (too short, empty); the message says what is missing."""


@dataclass(frozen=True)
class QueueHistory:
    """One queue's half-hour counts over `first`..`first + days - 1`, and what staffing reads from its records."""

    queue: str
    first: date
    counts: np.ndarray  # shape (days, 48)
    handled: int = 0
    handle_seconds: float = 0.0
    abandoned: int = 0
    queue_seconds: float = 0.0

    @property
    def days(self) -> int:
        return self.counts.shape[0]

    @property
    def aht_seconds(self) -> float | None:
        return self.handle_seconds / self.handled if self.handled else None

    @property
    def patience_seconds(self) -> float | None:
        """Mean patience of an exponential model: seconds waited by all callers over abandons."""
        return self.queue_seconds / self.abandoned if self.abandoned else None


@dataclass
class History:
    queues: dict[str, QueueHistory]
    first: date
    days: int
    gaps: list[date] = field(default_factory=list)


def slot_of(local_start: str) -> tuple[date, int]:
    moment = datetime.fromisoformat(local_start)
    return moment.date(), moment.hour * 2 + moment.minute // 30


def history_from_rows(rows: list[dict[str, Any]], days_with_records: set[date] | None = None) -> History:
    """The rows of ``forecast_input.sql`` as one matrix per queue; days with no record at all (of any contact,
    `days_with_records`: inbound contacts, queued or not; by default the days with queued ones) are gaps, filled
    and reported."""
    if not rows:
        raise ForecastError("the history holds no inbound contact that reached a queue: nothing to forecast from")
    by_day = [slot_of(r["local_start"]) for r in rows]
    seen = {d for d, _ in by_day} | (days_with_records or set())
    first, last = min(seen), max(seen)
    days = (last - first).days + 1
    gaps = [first + timedelta(days=i) for i in range(days) if first + timedelta(days=i) not in seen]
    totals: dict[str, dict[str, Any]] = {}
    for row, (day, slot) in zip(rows, by_day, strict=True):
        entry = totals.setdefault(row["queue_name"], {"counts": np.zeros((days, SLOTS)), "handled": 0,
                                                      "handle_seconds": 0.0, "abandoned": 0, "queue_seconds": 0.0})
        entry["counts"][(day - first).days, slot] += row["offered"]
        for key in ("handled", "handle_seconds", "abandoned", "queue_seconds"):
            entry[key] += row[key] or 0
    queues = {}
    for name, entry in sorted(totals.items()):
        counts = entry["counts"]
        for gap in gaps:
            index = (gap - first).days
            source = index - 7 if index >= 7 and first + timedelta(days=index - 7) not in gaps else index + 7
            counts[index] = counts[source] if 0 <= source < days else 0
        queues[name] = QueueHistory(name, first, counts, int(entry["handled"]), float(entry["handle_seconds"]),
                                    int(entry["abandoned"]), float(entry["queue_seconds"]))
    return History(queues, first, days, gaps)


def read_history(path: Path, time_zone: str) -> tuple[History, Any]:
    """The lake at `path` (analytics.reader) as a History; also the reader's LoadReport."""
    from analytics.kpis import duckdb_text, materialise_contacts, policy_settings
    from analytics.reader import load_lake

    settings = policy_settings()
    if settings.time_zone != time_zone:
        raise ForecastError(f"the policy's time zone is {settings.time_zone}, not {time_zone}")
    con, load = load_lake(path)
    try:
        materialise_contacts(con, settings)
        cursor = con.execute(duckdb_text("forecast_input", settings, contacts_table=True))
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
        days = {date.fromisoformat(str(day)) for (day,) in con.execute(
            duckdb_text("forecast_days", settings, contacts_table=True)).fetchall()}
    finally:
        con.close()
    return history_from_rows(rows, days), load


def read_athena_history(client: Any, *, workgroup: str, database: str, time_zone: str,
                        pause: Any = None) -> tuple[History, Any]:
    """The contact records in Athena as a History: ``forecast_input.sql`` transpiled by sqlglot (the text of the
    ``kpi-forecast-input`` named query), run in `workgroup` on `database`, and ``forecast_days.sql`` (the days
    with any inbound record, for the gaps), as the local lake's :func:`read_history` runs them; also the first
    run (analytics.athena)."""
    from analytics.athena import run_query
    from analytics.kpis import athena_text, policy_settings

    settings = policy_settings()
    if settings.time_zone != time_zone:
        raise ForecastError(f"the policy's time zone is {settings.time_zone}, not {time_zone}")
    run = run_query(client, athena_text("forecast_input", settings), workgroup=workgroup, database=database,
                    pause=pause)
    days = run_query(client, athena_text("forecast_days", settings), workgroup=workgroup, database=database,
                     pause=pause)
    return history_from_rows(run.rows, {date.fromisoformat(str(r["local_day"])[:10]) for r in days.rows}), run


# --- calendar ----------------------------------------------------------------------------------------------

def day_factors(calendar: Any, first: date, days: int) -> np.ndarray:
    """Each day's holiday/event volume factor (1.0 on ordinary days); `calendar` None: all 1."""
    if calendar is None:
        return np.ones(days)
    factors = []
    for offset in range(days):
        special = calendar.special(first + timedelta(days=offset))
        factors.append(max(special.volume, 0.05) if special else 1.0)
    return np.array(factors)


# --- models --------------------------------------------------------------------------------------------------

def seasonal_naive(counts: np.ndarray, horizon_days: int) -> np.ndarray:
    """The same half hour a week before, repeated: shape (horizon_days, 48)."""
    last_week = counts[-7:]
    return np.array([last_week[d % 7] for d in range(horizon_days)])


def mstl_forecast(series: np.ndarray, horizon: int) -> np.ndarray:
    """MSTL (daily and weekly seasonality) with exponential smoothing of the adjusted series; `horizon` points."""
    from statsmodels.tsa.holtwinters import SimpleExpSmoothing
    from statsmodels.tsa.seasonal import MSTL

    if not series.any():
        return np.zeros(horizon)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on flat series: the result is still the fit
        result = MSTL(series, periods=(DAILY, WEEKLY), windows=SEASONAL_WINDOWS, iterate=ITERATIONS,
                      stl_kwargs={"seasonal_deg": 0}).fit()
        seasonal = np.asarray(result.seasonal).reshape(len(series), -1)
        if seasonal.shape[1] != 2:
            raise ForecastError(f"MSTL kept {seasonal.shape[1]} of the 2 seasonal periods on {len(series)} points")
        adjusted = series - seasonal.sum(axis=1)
        # The level's memory is a week: half-hour counts are small and noisy, and an estimated smoothing weight
        # follows the last few half hours' noise (measured by the backtest: worse than seasonal naive).
        level = SimpleExpSmoothing(adjusted, initialization_method="known", initial_level=adjusted[:WEEKLY].mean()
                                   ).fit(smoothing_level=LEVEL_SMOOTHING, optimized=False).forecast(horizon)
    steps = np.arange(horizon)
    daily = seasonal[-DAILY:, 0][steps % DAILY]
    weekly = seasonal[-WEEKLY:, 1][steps % WEEKLY]
    return np.asarray(level) + daily + weekly


@dataclass(frozen=True)
class QueueForecast:
    queue: str
    first: date
    calls: np.ndarray  # shape (days, 48), expected contacts per half hour
    method: str


def forecast_queue(history: QueueHistory, horizon_days: int, calendar: Any = None,
                   extra_calls: Mapping[date, float] | None = None) -> QueueForecast:
    """The next `horizon_days` days after the history (both calendar-adjusted); see the module docstring."""
    if horizon_days < 1:
        raise ForecastError(f"the forecast needs at least 1 day, got {horizon_days}")
    if history.days < MIN_DAYS:
        raise ForecastError(f"{history.queue}: the history covers {history.days} day(s); a forecast needs at least "
                            f"{MIN_DAYS} (one week, for seasonal naive) and {MIN_MODEL_DAYS} for the model")
    factors = day_factors(calendar, history.first, history.days)
    adjusted = history.counts / factors[:, None]
    start = history.first + timedelta(days=history.days)
    if history.days < MIN_MODEL_DAYS:
        raw, method = seasonal_naive(adjusted, horizon_days), "seasonal naive"
    else:
        raw = mstl_forecast(adjusted.ravel(), horizon_days * SLOTS).reshape(horizon_days, SLOTS)
        method = "MSTL + exponential smoothing"
    calls = np.clip(raw, 0, None) * day_factors(calendar, start, horizon_days)[:, None]
    for day, extra in (extra_calls or {}).items():
        index = (day - start).days
        if 0 <= index < horizon_days and extra > 0:
            shape = calls[index] / calls[index].sum() if calls[index].sum() > 0 else np.full(SLOTS, 1 / SLOTS)
            calls[index] = calls[index] + extra * shape
    return QueueForecast(history.queue, start, calls, method)


def forecast(history: History, horizon_days: int, calendar: Any = None,
             extra_calls: Mapping[str, Mapping[date, float]] | None = None) -> tuple[dict[str, QueueForecast],
                                                                                    list[str]]:
    """Every queue's forecast, and notes (fallbacks, gaps) to show the user."""
    notes = []
    if history.gaps:
        notes.append(f"{len(history.gaps)} day(s) without any record inside the history, filled with the same day "
                     f"a week apart: {', '.join(d.isoformat() for d in history.gaps[:10])}")
    if history.days < MIN_DAYS:
        raise ForecastError(f"the history covers {history.days} day(s) ({history.first.isoformat()} on); a forecast "
                            f"needs at least {MIN_DAYS} days (one week) and {MIN_MODEL_DAYS} for daily and weekly "
                            "seasonality")
    if history.days < MIN_MODEL_DAYS:
        notes.append(f"the history covers {history.days} days; MSTL with weekly seasonality needs "
                     f"{MIN_MODEL_DAYS} (more than two weeks): {MIN_MODEL_DAYS - history.days} more day(s) missing, "
                     "so this forecast is seasonal naive (the same half hour last week)")
    result = {name: forecast_queue(queue, horizon_days, calendar, (extra_calls or {}).get(name))
              for name, queue in history.queues.items()}
    return result, notes


# --- backtest ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Backtest:
    origins: list[date]
    horizon_days: int
    model_wape: list[float]  # per horizon day (1 = the day after the origin)
    naive_wape: list[float]
    fit_seconds: float


def backtest(history: History, *, origins: int, horizon_days: int, calendar: Any = None) -> Backtest:
    """Rolling origin over the last `origins` days that leave `horizon_days` of actuals after them."""
    import time as _time

    last_origin = history.days - horizon_days
    first_origin = last_origin - origins + 1
    if first_origin < MIN_MODEL_DAYS:
        raise ForecastError(f"a backtest of {origins} origin(s) and {horizon_days} days ahead needs at least "
                            f"{MIN_MODEL_DAYS + origins - 1 + horizon_days} days of history, got {history.days}")
    errors = np.zeros((2, horizon_days))
    actuals = np.zeros(horizon_days)
    started = _time.process_time()
    for cut in range(first_origin, last_origin + 1):
        for queue in history.queues.values():
            past = QueueHistory(queue.queue, queue.first, queue.counts[:cut])
            actual = queue.counts[cut:cut + horizon_days]
            model = forecast_queue(past, horizon_days, calendar).calls
            naive = seasonal_naive(past.counts, horizon_days)  # the plain benchmark: no calendar knowledge
            errors[0] += np.abs(actual - model).sum(axis=1)
            errors[1] += np.abs(actual - naive).sum(axis=1)
            actuals += actual.sum(axis=1)
    seconds = _time.process_time() - started
    with np.errstate(divide="ignore", invalid="ignore"):
        model_wape, naive_wape = errors[0] / actuals, errors[1] / actuals
    return Backtest([history.first + timedelta(days=c) for c in range(first_origin, last_origin + 1)], horizon_days,
                    [float(x) for x in model_wape], [float(x) for x in naive_wape], seconds)


def interval_starts(day: date) -> list[time]:
    return [time(slot // 2, 30 * (slot % 2)) for slot in range(SLOTS)]
