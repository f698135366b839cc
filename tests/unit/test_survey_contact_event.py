"""Reading contact events and survey-request messages tolerantly: mixed case, unknown fields, malformed bodies."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from functions.surveys.contact_event import MalformedContactEvent, parse_contact_event
from functions.surveys.requests import delayed_survey_message, parse_survey_request
from tests.conftest import load_event


def test_an_answered_call_is_read_with_its_agent_queue_and_times():
    # Given the DISCONNECTED event of a call an agent answered
    event = parse_contact_event(load_event("connect_contact_disconnected_answered"))
    # Then every field the dispatcher needs is there, times as aware UTC datetimes
    assert event.contact_id == "3f1c2b4a-7d8e-4f90-a1b2-c3d4e5f60718"
    assert event.initial_contact_id == event.contact_id
    assert (event.event_type, event.channel, event.initiation_method) == ("DISCONNECTED", "VOICE", "INBOUND")
    assert event.agent_arn.endswith("/agent/8a7b6c5d-4e3f-4a2b-9c1d-0e9f8a7b6c5d")
    assert event.queue_arn.endswith("/queue/5e1d0a3c-2b4f-4e6a-8c9d-1f2e3d4c5b6a")
    assert event.connected_to_agent_at == datetime(2026, 11, 24, 18, 42, 10, tzinfo=UTC)
    assert event.disconnected_at == datetime(2026, 11, 24, 18, 52, 40, tzinfo=UTC)
    assert event.reached_agent


def test_an_abandoned_call_never_reached_an_agent():
    event = parse_contact_event(load_event("connect_contact_disconnected_abandoned"))
    assert event.queue_arn is not None and event.enqueued_at is not None
    assert (event.agent_arn, event.connected_to_agent_at, event.reached_agent) == (None, None, False)


def test_mixed_case_keys_and_channel_spelling_are_read_the_same():
    # Given Connect's sample spelling: AgentInfo/QueueInfo with capitalised inner keys, channel "Voice"
    event = parse_contact_event(load_event("connect_contact_disconnected_mixed_case"))
    # Then it reads exactly like the lower-case form
    assert event.channel == "VOICE"
    assert event.agent_arn.endswith("/agent/8a7b6c5d-4e3f-4a2b-9c1d-0e9f8a7b6c5d")
    assert event.queue_arn.endswith("/queue/5e1d0a3c-2b4f-4e6a-8c9d-1f2e3d4c5b6a")
    assert event.connected_to_agent_at == datetime(2026, 11, 24, 20, 3, 55, tzinfo=UTC)


def test_unknown_fields_and_unknown_event_types_are_not_errors():
    envelope = load_event("connect_contact_disconnected_answered")
    envelope["detail"].update(eventType="CONTACT_TELEPORTED", futureField={"x": 1}, anotherOne=[1, 2])
    envelope["brandNewTopLevelKey"] = "value"
    event = parse_contact_event(envelope)
    assert event.event_type == "CONTACT_TELEPORTED"


def test_unreadable_timestamps_are_left_out_rather_than_failing_the_event():
    envelope = load_event("connect_contact_disconnected_answered")
    envelope["detail"]["agentInfo"]["connectedToAgentTimestamp"] = "yesterday-ish"
    envelope["detail"]["disconnectTimestamp"] = 12345
    event = parse_contact_event(envelope)
    assert (event.connected_to_agent_at, event.disconnected_at) == (None, None)


def test_a_missing_initial_contact_id_falls_back_to_the_contact_itself():
    envelope = load_event("connect_contact_disconnected_answered")
    del envelope["detail"]["initialContactId"]
    assert parse_contact_event(envelope).initial_contact_id == envelope["detail"]["contactId"]


@pytest.mark.parametrize(("body", "problem"), [
    (None, "JSON object"),
    ([1, 2], "JSON object"),
    ({"hello": "world"}, "no `detail`"),
    ({"source": "aws.connect", "detail-type": "Amazon Connect Contact Event", "detail": "x"}, "no `detail`"),
    ({"source": "aws.s3", "detail-type": "Object Created", "detail": {"contactId": "c"}}, "not an Amazon Connect"),
    ({"source": "aws.connect", "detail-type": "Amazon Connect Contact Event", "detail": {"eventType": "QUEUED"}},
     "contactId"),
])
def test_a_body_that_is_not_a_contact_event_is_malformed_with_the_reason(body, problem):
    with pytest.raises(MalformedContactEvent, match=problem):
        parse_contact_event(body)


# --- the queue messages -----------------------------------------------------------------------------

def test_a_queue_message_is_either_the_envelope_itself_or_a_delayed_survey_wrapping_it():
    envelope = load_event("connect_contact_disconnected_answered")
    not_before = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
    # When the envelope is sent as is, and wrapped as a delayed survey
    direct = parse_survey_request(json.dumps(envelope))
    delayed_body = delayed_survey_message(envelope, not_before)
    delayed = parse_survey_request(delayed_body)
    # Then both carry the same event; only the delayed one has a due time
    assert json.loads(delayed_body) == {"kind": "delayed-survey", "not_before": "2026-11-25T14:00:00+00:00",
                                        "event": envelope}
    assert direct.event == delayed.event
    assert (direct.not_before, delayed.not_before) == (None, not_before)


@pytest.mark.parametrize(("body", "problem"), [
    ("this is not json", "not JSON"),
    ("[1, 2, 3]", "JSON object"),
    ('{"kind": "something-else", "event": {}}', "unknown message kind"),
    ('{"kind": "delayed-survey", "not_before": "soon", "event": {}}', "not_before"),
    ('{"kind": "delayed-survey", "not_before": "2026-11-25T14:00:00Z", "event": {"detail": 1}}', "detail"),
])
def test_a_message_that_is_neither_kind_is_malformed(body, problem):
    with pytest.raises(MalformedContactEvent, match=problem):
        parse_survey_request(body)
