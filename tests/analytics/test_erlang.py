"""Erlang C against the published example, Erlang A against Erlang C and itself, and bad input."""

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.erlang import (
    ErlangError,
    erlang_a_figures,
    erlang_b,
    erlang_c_figures,
    figures,
    required_agents,
)
from callcenter.cli import main


def test_the_published_example_100_calls_in_30_minutes_180_s_aht_20_s_80_percent():
    requirement = required_agents(100, 1800, 180, 20, 0.8)
    assert requirement.reached and requirement.figures.agents == 14
    f = requirement.figures
    assert f.probability_of_waiting == pytest.approx(0.1741, abs=0.001)
    assert f.service_level == pytest.approx(0.8884, abs=0.001)
    assert f.asa_seconds == pytest.approx(7.84, abs=0.01)
    assert f.occupancy == pytest.approx(0.714, abs=0.001)


def test_thirteen_agents_miss_the_target_so_fourteen_is_the_fewest():
    assert erlang_c_figures(13, 100, 1800, 180, 20).service_level < 0.8


def test_erlang_b_recursion_is_stable_where_factorials_overflow():
    # 1,000 Erlangs on 1,050 trunks: 1050! overflows a float, the recursion does not.
    blocking = erlang_b(1050, 1000.0)
    assert 0 < blocking < 0.02
    assert math.isfinite(erlang_c_figures(1050, 20_000, 1800, 90, 20).asa_seconds)


def test_erlang_a_with_callers_who_never_give_up_is_erlang_c():
    a = erlang_a_figures(14, 100, 1800, 180, 20, patience_s=1e9)
    c = erlang_c_figures(14, 100, 1800, 180, 20)
    assert a.probability_of_waiting == pytest.approx(c.probability_of_waiting, abs=1e-5)
    assert a.service_level == pytest.approx(c.service_level, abs=1e-5)
    assert a.asa_seconds == pytest.approx(c.asa_seconds, abs=1e-3)


def test_callers_who_hang_up_shorten_the_queue_so_erlang_c_is_pessimistic():
    a = erlang_a_figures(14, 100, 1800, 180, 20, patience_s=120)
    c = erlang_c_figures(14, 100, 1800, 180, 20)
    assert 0 < a.abandonment_rate < 0.1
    assert a.service_level > c.service_level and a.asa_seconds < c.asa_seconds


def test_an_overloaded_queue_is_reported_not_raised():
    c = erlang_c_figures(5, 100, 1800, 180, 20)  # 10 Erlangs on 5 agents
    assert c.service_level == 0 and math.isinf(c.asa_seconds)
    a = erlang_a_figures(5, 100, 1800, 180, 20, patience_s=60)  # callers give up: a finite, poor service
    assert 0 < a.service_level < 0.8 and a.abandonment_rate > 0.3


@settings(max_examples=40, deadline=None)
@given(calls=st.floats(0.5, 300), aht=st.floats(20, 900), within=st.floats(0, 120),
       patience=st.one_of(st.none(), st.floats(10, 1200)), agents=st.integers(1, 60))
def test_one_more_agent_never_lowers_the_service_level(calls, aht, within, patience, agents):
    fewer = figures(agents, calls, 1800, aht, within, patience)
    more = figures(agents + 1, calls, 1800, aht, within, patience)
    assert more.service_level >= fewer.service_level - 1e-9
    assert more.probability_of_waiting <= fewer.probability_of_waiting + 1e-9


def test_shrinkage_and_maximum_occupancy_add_agents():
    plain = required_agents(100, 1800, 180, 20, 0.8)
    assert required_agents(100, 1800, 180, 20, 0.8, shrinkage=0.3).scheduled == math.ceil(14 / 0.7)
    capped = required_agents(100, 1800, 180, 20, 0.8, max_occupancy=0.6)
    assert capped.figures.agents == 17 > plain.figures.agents and capped.figures.occupancy <= 0.6


def test_a_target_out_of_reach_reports_the_best_reachable():
    result = required_agents(100, 1800, 180, 20, 0.99, max_agents=15)
    assert not result.reached and result.figures.agents == 15
    assert result.figures.service_level == pytest.approx(erlang_c_figures(15, 100, 1800, 180, 20).service_level)


@pytest.mark.parametrize(("change", "message"), [
    ({"calls": -1}, "calls must be zero or more"),
    ({"aht_s": 0}, "AHT must be more than zero"),
    ({"interval_s": -30}, "interval must be more than zero"),
    ({"target": 1.5}, "the target is a fraction"),
    ({"target": 0}, "the target is a fraction"),
    ({"patience_s": 0}, "patience must be more than zero"),
    ({"shrinkage": 1}, "shrinkage is a fraction"),
    ({"max_occupancy": 0}, "maximum occupancy"),
])
def test_zero_or_negative_parameters_are_refused_with_what_is_wrong(change, message):
    arguments = {"calls": 100, "interval_s": 1800, "aht_s": 180, "answer_within_s": 20, "target": 0.8} | change
    with pytest.raises(ErlangError, match=message):
        required_agents(**arguments)


def test_the_command_prints_the_published_figures_as_json(capsys):
    assert main(["erlang", "--calls", "100", "--aht", "180", "--answer-within", "20", "--target", "0.8",
                 "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["agents"] == 14
    assert {"probability_of_waiting", "service_level", "asa_seconds", "occupancy"} <= set(document)
    assert "abandonment_rate" not in document
    assert round(document["asa_seconds"], 2) == 7.84


def test_the_command_with_patience_gives_the_abandonment_rate(capsys):
    assert main(["erlang", "--calls", "100", "--interval-minutes", "30", "--aht", "180", "--answer-within", "20",
                 "--target", "0.8", "--patience", "120", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert 0 < document["abandonment_rate"] < 0.1 and document["agents"] <= 14


def test_the_command_refuses_a_negative_aht_without_a_traceback(capsys):
    assert main(["erlang", "--calls", "100", "--aht", "-5", "--answer-within", "20", "--target", "0.8"]) == 2
    assert "AHT must be more than zero" in capsys.readouterr().err


def test_the_command_says_when_the_target_is_out_of_reach(capsys):
    assert main(["erlang", "--calls", "100", "--aht", "180", "--answer-within", "20", "--target", "0.99",
                 "--max-agents", "15"]) == 1
    assert "out of reach" in capsys.readouterr().out
