"""The forecast on series with a known shape, its fallbacks, gaps and the backtest's comparison."""

from datetime import date, timedelta

import numpy as np
import pytest

from analytics.forecast import (
    SLOTS,
    ForecastError,
    History,
    QueueHistory,
    backtest,
    forecast,
    forecast_queue,
    history_from_rows,
    seasonal_naive,
)
from callcenter.history.calendar import parse_calendar

FIRST = date(2026, 11, 2)  # a Monday
INTRADAY = np.concatenate([np.zeros(16), np.sin(np.linspace(0, np.pi, 24)) * 10 + 1, np.zeros(8)])
WEEKLY = np.array([1.3, 1.1, 1.0, 1.0, 0.9, 0.4, 0.1])


def expected(days: int) -> np.ndarray:
    return np.array([WEEKLY[d % 7] * INTRADAY for d in range(days)])


def poisson_history(days: int, seed: int = 4) -> QueueHistory:
    return QueueHistory("billing", FIRST, np.random.default_rng(seed).poisson(expected(days)).astype(float),
                        handled=10, handle_seconds=2000, abandoned=2, queue_seconds=300)


def test_the_model_beats_seasonal_naive_on_noisy_counts_with_daily_and_weekly_seasons():
    history = poisson_history(21)
    truth = poisson_history(28).counts[21:]  # the same generator's next week: 28 days drawn, the last 7
    model = forecast_queue(history, 7).calls
    naive = seasonal_naive(history.counts, 7)
    assert model.shape == (7, SLOTS)
    wape = lambda f: np.abs(truth - f).sum() / truth.sum()  # noqa: E731
    assert wape(model) < wape(naive)
    assert model[:, :16].mean() < 0.1 < model[:, 16:40].mean()  # the night stays (nearly) empty
    assert model[0].sum() > 2 * model[5].sum()  # Monday above Saturday


def test_estimates_staffing_reads_from_the_records():
    history = poisson_history(14)
    assert history.aht_seconds == 200 and history.patience_seconds == 150


def test_a_known_event_day_is_scaled_by_its_calendar_volume():
    calendar = parse_calendar({"version": 1, "weekly": dict.fromkeys(
        ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"), 1.0),
        "intraday": [1.0] * 24, "events": [{"date": "2026-11-17", "name": "Invoices", "volume": 2.0}]})
    history = poisson_history(15)
    plain = forecast_queue(history, 7).calls
    with_event = forecast_queue(history, 7, calendar).calls  # 2026-11-17 is the first forecast day
    assert with_event[0].sum() == pytest.approx(2 * plain[0].sum())
    assert with_event[1].sum() == pytest.approx(plain[1].sum())


def test_reminders_bring_calls_back_on_their_day():
    history = History({"billing": poisson_history(21)}, FIRST, 21)
    plain, _ = forecast(history, 3)
    more, _ = forecast(history, 3, extra_calls={"billing": {FIRST + timedelta(days=22): 30}})
    assert more["billing"].calls[1].sum() == pytest.approx(plain["billing"].calls[1].sum() + 30)
    assert more["billing"].calls[0].sum() == pytest.approx(plain["billing"].calls[0].sum())


def test_too_little_history_falls_back_to_seasonal_naive_and_says_what_is_missing():
    history = History({"billing": poisson_history(10)}, FIRST, 10)
    result, notes = forecast(history, 7)
    assert result["billing"].method == "seasonal naive"
    assert np.array_equal(result["billing"].calls, seasonal_naive(history.queues["billing"].counts, 7))
    assert any("needs 15" in n and "5 more day(s) missing" in n for n in notes)


def test_less_than_a_week_is_an_error_that_says_so():
    history = History({"billing": poisson_history(5)}, FIRST, 5)
    with pytest.raises(ForecastError, match="covers 5 day"):
        forecast(history, 7)


def test_days_without_records_are_gaps_filled_from_a_week_apart_and_reported():
    rows = [{"queue_name": "billing", "local_start": f"{FIRST + timedelta(days=d)}T10:00", "offered": 5 + d,
             "handled": 5, "abandoned": 0, "handle_seconds": 1000, "queue_seconds": 10}
            for d in range(15) if d != 9]
    history = history_from_rows(rows)
    assert history.days == 15 and history.gaps == [FIRST + timedelta(days=9)]
    assert history.queues["billing"].counts[9, 20] == 5 + 2  # day 2's value, a week before
    _, notes = forecast(history, 1)
    assert any("filled" in n and "2026-11-11" in n for n in notes)


def test_no_records_at_all_is_an_error():
    with pytest.raises(ForecastError, match="nothing to forecast"):
        history_from_rows([])


def test_the_backtest_reports_wape_per_horizon_beside_seasonal_naive():
    history = History({"billing": poisson_history(23)}, FIRST, 23)
    result = backtest(history, origins=2, horizon_days=3)
    assert len(result.origins) == 2 and len(result.model_wape) == 3 == len(result.naive_wape)
    assert all(0 < w < 2 for w in result.model_wape + result.naive_wape)
    assert sum(result.model_wape) < sum(result.naive_wape)
    with pytest.raises(ForecastError, match="needs at least"):
        backtest(history, origins=10, horizon_days=3)
