"""Live sentiment in the KPI report: the summaries (lake table sentiment_summaries) joined to their contact records,
the share of calls ending negative per queue and per agent (analytics/sql/sentiment.sql)."""

from __future__ import annotations

import pytest

from analytics.kpis import policy_settings
from analytics.lake import write_jsonl
from analytics.reader import load_lake
from analytics.report import build_report
from analytics.schema import SENTIMENT_SUMMARIES
from functions.routing.policy import load_policy
from tests.analytics.kpi_records import day_records


def summary(contact_id: str, at: str, end: float, negative: bool, rules: str = "") -> dict:
    return {"ContactId": contact_id, "Team": "general", "SummarizedTimestamp": at, "StartScore": 0.5,
            "EndScore": end, "EndedNegative": negative, "CustomerTurns": 6, "RulesFired": rules,
            "Outcome": "COMPLETED"}


@pytest.fixture(scope="module")
def sentiment(tmp_path_factory):
    root = tmp_path_factory.mktemp("lake")
    write_jsonl(day_records(), root)
    write_jsonl([
        summary("c-ans-fast", "2026-11-24T14:40:00Z", -1.0, True, "sentiment.negative_streak"),
        summary("c-ans-slow", "2026-11-24T14:41:00Z", -0.67, True),  # redelivered: the later one counts
        summary("c-ans-slow", "2026-11-24T14:45:00Z", 0.33, False),
        summary("c-transfer-dst", "2026-11-24T14:50:00Z", -0.67, True, "sentiment.key_phrase"),
        summary("no-such-contact", "2026-11-24T14:50:00Z", -1.0, True),  # no contact record: not counted
    ], root, table=SENTIMENT_SUMMARIES)
    con, load = load_lake(root)
    return build_report(con, load, policy_settings(), list(load_policy().queues))["sentiment"]


def test_the_share_of_calls_ending_negative_per_queue_and_agent(sentiment):
    assert sentiment["queues"]["general"]["contacts_analysed"] == 2
    assert sentiment["queues"]["general"]["share_ended_negative"] == pytest.approx(1 / 2)
    assert sentiment["queues"]["billing"]["share_ended_negative"] == 1
    assert sentiment["agents"]["ana"]["share_ended_negative"] == pytest.approx(1 / 2)
    assert sentiment["agents"]["cy"]["ended_negative"] == 1


def test_overall_counts_each_contact_once_and_only_contacts_with_records(sentiment):
    overall = sentiment["overall"]
    assert (overall["contacts_analysed"], overall["ended_negative"]) == (3, 2)
    assert overall["avg_end_score"] == pytest.approx((-1.0 + 0.33 - 0.67) / 3)
    assert overall["contacts_with_rules_fired"] == 2
