"""Live sentiment on the local backend: the segment stream consumer, the rule-match consumer and the context call,
through the real handlers on moto (SNS topic, insights table), with the stream mapping played as Lambda runs it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from callcenter.api_client import Agent, TicketApi
from callcenter.backend import function_arn
from callcenter.sentiment_stream import (
    LocalSegmentStream,
    SupervisorInbox,
    TranscriptResult,
    parse_transcript,
    play_transcript,
    read_transcript,
)
from functions.insights.store import contact_hints

FIXTURES = Path(__file__).resolve().parents[2] / "events" / "sentiment"
START = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
STREAK, PHRASE, FALLING = "sentiment.negative_streak", "sentiment.key_phrase", "sentiment.falling"


def context(backend: Any, contact_id: str, **parameters: str) -> dict[str, Any]:
    event = {"Name": "ContactFlowEvent", "Details": {"ContactData": {"ContactId": contact_id, "Attributes": {}},
                                                     "Parameters": parameters}}
    backend.now = START
    try:
        return backend.invoke_lambda(function_arn("sentiment-context"), event, 5)  # type: ignore[no-any-return]
    finally:
        backend.now = None


def play(backend: Any, name: str, contact_id: str, **options: Any) -> TranscriptResult:
    records, skipped = read_transcript(FIXTURES / f"{name}.jsonl", contact_id)
    return play_transcript(backend, records, contact_id, START, file_skipped=skipped, **options)


def rules(items: list[dict[str, Any]]) -> list[str]:
    return [item["rule"] for item in items]


def test_an_unknown_caller_who_threatens_to_cancel_alerts_supervisors_once_and_the_agent_gets_hints(backend: Any):
    result = play(backend, "angry-cancel", "c-angry")

    assert rules(result.hints) == [STREAK, PHRASE]
    assert [h["kind"] for h in result.hints] == ["hint", "alert"]  # no tier, no history: the streak alerts nobody
    assert rules(result.alerts) == [PHRASE] and result.alerts[0]["team"] == "general"
    assert result.alerts[0]["delay_seconds"] == result.hints[1]["delay_seconds"] > result.hints[0]["delay_seconds"]
    assert result.summary == {"start_score": -0.667, "end_score": -0.667, "ended_negative": True,
                              "rules_fired": [STREAK, PHRASE], "outcome": "COMPLETED"}


def test_tier_and_history_recorded_after_routing_decide_who_is_alerted(backend: Any):
    context(backend, "c-vip", queue="vip", tier="vip", recent_complaints="0")

    result = play(backend, "souring", "c-vip")

    assert rules(result.alerts) == [FALLING, STREAK]
    assert {a["team"] for a in result.alerts} == {"vip"}
    assert result.summary and result.summary["start_score"] == 0.667 and result.summary["end_score"] == -1.0


def test_a_calm_call_hints_and_alerts_nobody(backend: Any):
    context(backend, "c-calm", queue="billing", tier="vip", recent_complaints="5")

    result = play(backend, "calm", "c-calm")

    assert (result.hints, result.alerts) == ([], [])
    assert result.summary and result.summary["ended_negative"] is False


def test_every_record_delivered_three_times_alerts_once_per_rule(backend: Any):
    context(backend, "c-dup", queue="senior", tier="standard", recent_complaints="4")
    stream = LocalSegmentStream(backend, duplicates=3)

    result = play(backend, "angry-cancel", "c-dup", stream=stream)

    assert stream.report.records == 3 * result.records
    assert rules(result.alerts) == [STREAK, PHRASE]  # each once: no duplicate reached the supervisors
    assert rules(result.hints) == [STREAK, PHRASE]
    assert result.skipped["duplicate turn"] == 2 * 6  # the caller's 6 turns, twice more each


def test_a_stream_played_call_after_call_keeps_only_what_it_has_not_delivered(backend: Any):
    stream = LocalSegmentStream(backend, shards=1)

    first = play(backend, "angry-cancel", "c-first", stream=stream)
    # Then the delivered records are not kept (nothing reads the shard again): a long day's memory stays flat
    assert [len(shard.records) for shard in stream.shards] == [0]
    second = play(backend, "calm", "c-second", stream=stream)
    # and the next call's records are the only ones the mapping delivers: nothing of the first call again
    assert stream.report.records == first.records + second.records
    assert rules(first.hints) == [STREAK, PHRASE] and second.hints == []


def test_the_topic_failing_midway_loses_no_alert_and_repeats_none(backend: Any, monkeypatch: pytest.MonkeyPatch):
    from functions.sentiment import consumer

    real_publish, calls = consumer.SnsAlertPublisher.publish, []

    def fails_twice(self: Any, alert: Any) -> None:
        calls.append(alert.rule)
        if len(calls) <= 2:
            raise consumer.AlertNotPublished("throttled")
        real_publish(self, alert)

    monkeypatch.setattr(consumer.SnsAlertPublisher, "publish", fails_twice)
    result = play(backend, "angry-cancel", "c-fail")

    assert rules(result.alerts) == [PHRASE]
    assert calls == [PHRASE, PHRASE, PHRASE]  # retried from the failed record until the topic took it
    assert rules(result.hints) == [STREAK, PHRASE] and result.report.retried == 2
    assert result.report.dead_letters == []


def test_a_crash_between_publish_and_record_is_the_one_window_that_repeats_an_alert(
        backend: Any, monkeypatch: pytest.MonkeyPatch):
    from functions.insights.hint import InsightStoreUnavailable
    from functions.sentiment import consumer

    real_record, attempts = consumer.record_new_hint, []

    def record_fails_once(*args: Any, **kwargs: Any) -> bool:
        attempts.append(args[1])
        if attempts.count(PHRASE) == 1 and args[1] == PHRASE:
            raise InsightStoreUnavailable("insights table: ProvisionedThroughputExceededException")
        return real_record(*args, **kwargs)

    monkeypatch.setattr(consumer, "record_new_hint", record_fails_once)
    result = play(backend, "angry-cancel", "c-window", inbox=SupervisorInbox())

    assert rules(result.alerts) == [PHRASE, PHRASE]  # published, not recorded, retried: published again
    assert rules(result.hints) == [STREAK, PHRASE]
    assert attempts == [STREAK, PHRASE, PHRASE]


def test_a_record_that_keeps_failing_goes_to_the_dead_letters_and_the_contact_goes_on(
        backend: Any, monkeypatch: pytest.MonkeyPatch):
    from functions.sentiment import consumer

    def never(self: Any, alert: Any) -> None:
        raise consumer.AlertNotPublished("down")

    monkeypatch.setattr(consumer.SnsAlertPublisher, "publish", never)
    result = play(backend, "angry-cancel", "c-dlq")

    assert len(result.report.dead_letters) == 1  # the "cancel my account" record, after max_retries
    assert rules(result.hints) == [STREAK] and result.alerts == []
    assert result.summary and result.summary["outcome"] == "COMPLETED"


def test_bad_input_is_skipped_and_said_and_alerts_nobody(backend: Any):
    result = play(backend, "bad-input", "c-bad")

    assert (result.hints, result.alerts) == ([], [])
    assert result.skipped == {
        "Contact Lens match for no rule of ours": 1, "segment kind PostContactSummary": 1,
        "transcript without id, role or offsets": 1, "turn out of order (put in its place)": 1,
        "turn without sentiment": 2, "unknown event type HEARTBEAT": 1, "utterance (partial turn)": 1}
    assert result.file_skipped == ["line 11: not JSON", "line 12: not a JSON object"]


def test_a_one_megabyte_transcript_is_played_through(backend: Any):
    line = {"Version": "1.0.0", "Channel": "VOICE", "ContactId": "x", "EventType": "SEGMENTS"}
    lines, turn = [], 0
    while sum(len(x) for x in lines) < 1_000_000:
        turn += 1
        segment = {"Transcript": {"Id": f"t{turn}", "ParticipantRole": "CUSTOMER" if turn % 2 else "AGENT",
                                  "Content": "the weather is fine today " * 20, "Sentiment": "NEUTRAL",
                                  "BeginOffsetMillis": turn * 1000, "EndOffsetMillis": turn * 1000 + 900}}
        lines.append(json.dumps({**line, "Segments": [segment]}))
    records, skipped = parse_transcript([*lines, "{broken", json.dumps({**line, "EventType": "COMPLETED"})], "c-big")

    result = play_transcript(backend, records, "c-big", START, file_skipped=skipped)

    assert (result.hints, result.alerts, result.file_skipped) == ([], [], [f"line {len(lines) + 1}: not JSON"])
    assert result.summary and result.summary["outcome"] == "COMPLETED" and result.report.dead_letters == []


def test_a_contact_lens_rule_match_and_the_same_phrase_in_the_stream_alert_once(backend: Any):
    inbox = SupervisorInbox()
    event = {"source": "aws.connect", "detail-type": "Contact Lens Realtime Rules Matched",
             "detail": {"ruleName": "callcenter-dev-sentiment-key-phrase", "actionName": PHRASE,
                        "contactArn": "arn:aws:connect:us-east-1:123456789012:instance/i/contact/c-match"}}
    sqs_event = {"Records": [{"messageId": "m1", "body": json.dumps(event)},
                             {"messageId": "m2", "body": "not json"}]}
    backend.now = START + timedelta(seconds=5)
    try:
        answer = backend.invoke_lambda(function_arn("sentiment-rule-matches"), sqs_event, 20)
    finally:
        backend.now = None

    result = play(backend, "angry-cancel", "c-match", inbox=inbox)

    assert answer == {"batchItemFailures": []}  # the unreadable message is dropped (counted), not retried
    assert rules(result.alerts) == [PHRASE] and result.alerts[0]["delay_seconds"] == 5.0
    assert rules(result.hints) == [PHRASE, STREAK]


def test_the_context_call_keeps_what_looks_right_and_drops_the_rest(backend: Any):
    from functions.sentiment.store import load_contact

    assert context(backend, "c-ctx", queue="billing; drop", tier="VIP!", recent_complaints="lots") == {
        "recorded": "true"}
    assert context(backend, "not a contact id", queue="billing") == {"recorded": "false"}

    loaded = load_contact("c-ctx")
    assert loaded.context is not None
    assert (loaded.context.team, loaded.context.tier, loaded.context.complaints) == (None, None, 0)


def test_the_desktop_reads_the_hints_and_not_the_consumers_own_items(backend: Any):
    context(backend, "c-desk", queue="billing", tier="gold", recent_complaints="1")
    play(backend, "angry-cancel", "c-desk")

    backend.now = START + timedelta(minutes=5)
    answer = TicketApi(backend, Agent("ana", ("billing",))).request(
        "GET", "/contacts/{contact_id}/insights", params={"contact_id": "c-desk"})[1]

    assert [h["rule"] for h in answer["hints"]] == [STREAK, PHRASE]
    assert [h.rule for h in contact_hints("c-desk", START)] == [STREAK, PHRASE]  # no ~state, ~context, ~summary
