"""The local runtime plays what AWS does around our functions: rules -> queues -> consumers, and Connect."""

import json
from datetime import UTC, datetime

import boto3
import pytest

from callcenter.event_sources import deliver
from callcenter.post_call import publish_contact_event
from functions.manifest import QUEUES

# Under pytest-xdist (`make test`), the simulated day (module fixture `ticket_day`) is run once, on one worker.
pytestmark = pytest.mark.xdist_group("local-runtime-day")

AT = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def consumer(backend, monkeypatch, fail_bodies=(), crash=False):
    """Replace the survey dispatcher with a recorder that fails the given bodies."""
    seen = []

    def invoke(arn, event, limit):
        seen.append([r["body"] for r in event["Records"]])
        if crash:
            from flowlang.simulator import LambdaInvocationError
            raise LambdaInvocationError("error", "crashed")
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"]
                                      if r["body"] in fail_bodies]}

    monkeypatch.setattr(backend, "invoke_lambda", invoke)
    return seen


def send(backend, *bodies):
    sqs = boto3.client("sqs", region_name="us-east-1")
    for body in bodies:
        sqs.send_message(QueueUrl=backend.queue_urls["survey-requests"], MessageBody=body)


def test_the_manifest_rule_routes_only_disconnected_contact_events_to_the_survey_queue(backend, monkeypatch):
    seen = consumer(backend, monkeypatch)
    publish_contact_event({"eventType": "DISCONNECTED", "contactId": "c-1"}, AT)
    publish_contact_event({"eventType": "QUEUED", "contactId": "c-2"}, AT)
    report = deliver(backend, "survey-requests")
    assert report.messages == 1
    envelope = json.loads(seen[0][0])
    assert (envelope["source"], envelope["detail"]["contactId"]) == ("aws.connect", "c-1")


def test_a_failing_message_is_redelivered_then_dead_lettered_while_the_rest_succeed(backend, monkeypatch):
    seen = consumer(backend, monkeypatch, fail_bodies={"poison"})
    send(backend, "good-1", "poison", "good-2")
    report = deliver(backend, "survey-requests")
    assert report.succeeded == 2
    assert report.in_dead_letter_queue == 1
    # maxReceiveCount deliveries, then the DLQ
    assert sum(batch.count("poison") for batch in seen) == QUEUES["survey-requests"].max_receive_count


def test_a_crashed_batch_comes_back_whole(backend, monkeypatch):
    consumer(backend, monkeypatch, crash=True)
    send(backend, "a", "b")
    report = deliver(backend, "survey-requests")
    assert report.succeeded == 0 and report.in_dead_letter_queue == 2


def test_connect_contact_attributes_come_from_the_simulated_call(backend):
    backend.connect.contact_attributes["c-9"] = {"customer_id": "cust-ada"}
    connect = boto3.client("connect", region_name="us-east-1")
    answer = connect.get_contact_attributes(InstanceId="local-instance", InitialContactId="c-9")
    assert answer["Attributes"] == {"customer_id": "cust-ada"}
    with pytest.raises(connect.exceptions.ResourceNotFoundException):
        connect.get_contact_attributes(InstanceId="local-instance", InitialContactId="nobody")


def test_the_emulator_answers_clients_of_a_session_made_before_any_backend(tmp_path):
    # A fresh process whose functions' botocore session exists before the first local backend (as when a test
    # that used the functions' clients runs first): the emulator must still answer their calls, not moto.
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent("""
        import os
        os.environ.update(AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="us-east-1")
        from functions.common.aws import aws_client, botocore_session
        botocore_session()  # made before the backend installs its handlers
        from callcenter.backend import LocalBackend
        with LocalBackend() as local:
            local.connect.contact_attributes["c-1"] = {"customer_id": "cust-ada"}
            answer = aws_client("connect").get_contact_attributes(InstanceId="i", InitialContactId="c-1")
            print(answer["Attributes"]["customer_id"])
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "cust-ada"


def test_a_placed_calls_attributes_are_what_get_contact_attributes_answers(demo_backend):
    from callcenter.calls import CallRequest, place_call
    from callcenter.connect_emulator import ContactAttributes

    # Given two calls placed through the inbound flow
    results = [place_call(demo_backend, CallRequest(caller=caller, at=AT, keys=("1",), contact_id=contact))
               for caller, contact in (("+14155550100", "c-vip"), ("+16175550199", "c-unknown"))]
    # Then Connect answers each contact's attributes exactly as the flow left them
    connect = boto3.client("connect", region_name="us-east-1")
    for result, contact in zip(results, ("c-vip", "c-unknown"), strict=True):
        answer = connect.get_contact_attributes(InstanceId="local-instance", InitialContactId=contact)
        assert answer["Attributes"] == result.attributes and result.attributes["reason"]
    # And they are kept compactly: the attribute names once for every contact with the same names
    kept = demo_backend.connect.contact_attributes
    assert isinstance(kept["c-vip"], ContactAttributes) and kept["c-vip"].get("no-such-name") is None
    assert ContactAttributes(dict(kept["c-vip"]))._names is kept["c-vip"]._names


def test_outbound_calls_are_queued_for_the_runtime_and_deduplicated_by_client_token(backend):
    connect = boto3.client("connect", region_name="us-east-1")
    params = dict(DestinationPhoneNumber="+14155550100", ContactFlowId="survey", InstanceId="local-instance",
                  QueueId="q", Attributes={"survey_contact_id": "c-1"}, ClientToken="survey-c-1")
    first = connect.start_outbound_voice_contact(**params)["ContactId"]
    again = connect.start_outbound_voice_contact(**params)["ContactId"]
    assert first == again
    calls = backend.connect.take_outbound_calls()
    assert [(c.destination, c.attributes) for c in calls] == [("+14155550100", {"survey_contact_id": "c-1"})]


def test_an_injected_connect_failure_is_a_real_client_error(backend):
    backend.connect.failing.add("StartOutboundVoiceContact")
    connect = boto3.client("connect", region_name="us-east-1")
    with pytest.raises(connect.exceptions.InternalServiceException):
        connect.start_outbound_voice_contact(DestinationPhoneNumber="+14155550100", ContactFlowId="survey",
                                             InstanceId="local-instance", QueueId="q")


def test_sms_is_recorded(backend):
    sms = boto3.client("pinpoint-sms-voice-v2", region_name="us-east-1")
    message_id = sms.send_text_message(DestinationPhoneNumber="+14155550100", OriginationIdentity="+18005550111",
                                       MessageBody="How did we do?", MessageType="TRANSACTIONAL")["MessageId"]
    assert backend.connect.texts[0].message_id == message_id


def test_retry_back_off_passes_in_simulated_time_and_counts_in_the_invocation(demo_backend, monkeypatch):
    import time

    from callcenter.backend import function_arn
    from tests.conftest import load_event

    # Given DynamoDB throttles the routing function's lookup (botocore retries after a jittered back-off)
    slept = []
    monkeypatch.setattr(time, "sleep", slept.append)
    demo_backend.faults = {"routing": "throttle"}
    waited_before = demo_backend.retry_waits.waited_s

    # When the flow invokes it
    answer = demo_backend.invoke_lambda(function_arn("routing"), load_event("connect_inbound_voice"), 8)

    # Then nothing slept for real; the back-off was counted, and is part of the invocation's duration
    waited = demo_backend.retry_waits.waited_s - waited_before
    assert answer["reason"] == "PROFILE_UNAVAILABLE"
    assert slept == []
    assert waited > 0
    assert demo_backend.invocations[-1].elapsed_s >= waited


# --- the simulated day's tickets -------------------------------------------------------------------------

def _ticket_day(calls, seed):
    """A simulated day on a fresh local backend; its ticket tally and the tickets as stored."""
    from datetime import date

    from callcenter.backend import LocalBackend
    from callcenter.day import plan_day, run_day
    from functions.profiles.importer import import_profile_file
    from functions.tickets.store import TicketItem, to_ticket
    from tests.conftest import DEMO_PROFILES

    profiles = import_profile_file(DEMO_PROFILES).accepted
    with LocalBackend() as local:
        local.load_profiles(profiles)
        report = run_day(local, plan_day(profiles, calls, seed, date(2026, 11, 24)), seed=seed)
        stored = sorted((to_ticket(item) for item in TicketItem.scan()), key=lambda t: t.ticket_id)
    return report, stored


def _figures(tally):
    """Everything but the timings (and the DynamoDB requests, which follow the client's retries)."""
    return {k: v for k, v in vars(tally).items() if k not in ("api_ms", "api_dynamodb_calls")}


#: The smallest day of the demo's calls (seed 5) in which every kind of ticket event happens: tickets opened by
#: agents, resolved, closed, escalated (3), waiting on the customer, held and sent notifications, screen pops.
TICKET_DAY_CALLS = 110


@pytest.fixture(scope="module")
def ticket_day():
    return _ticket_day(TICKET_DAY_CALLS, 5)


def test_the_day_opens_works_and_leaves_tickets_and_the_figures_add_up(ticket_day):
    report, stored = ticket_day
    tally = report.tickets
    assert tally.opened == len(stored) > 0
    assert tally.opened_by["agent"] == tally.opened_at_calls > 0
    ends = tally.statuses
    assert tally.opened == tally.open_at_end + ends["resolved"] + ends["closed"]
    assert tally.open_at_end == sum(ends[s] for s in ("open", "in_progress", "waiting_on_customer", "escalated"))
    assert tally.resolved_during_day == ends["resolved"] + ends["closed"] > 0
    assert 0 < tally.escalated < tally.opened
    assert tally.overdue_at_end <= tally.open_at_end
    assert tally.api_requests == len(tally.api_ms) > tally.opened


def test_the_days_tickets_come_from_its_calls_and_are_told_to_customers(ticket_day):
    report, stored = ticket_day
    from functions.tickets.ticket import new_ticket_id

    by_agents = [t for t in stored if t.history[0].actor.startswith("agent:")]
    for ticket in by_agents:  # opened after the call, with the call's id as request id and as first contact
        assert ticket.contact_ids[0].startswith("sim-5-")
        assert ticket.ticket_id == new_ticket_id(ticket.created_at, request_id=ticket.contact_ids[0],
                                                 requester=ticket.history[0].actor)
    escalated = [t for t in stored if any(e.action == "escalated" for e in t.history)]
    assert all(t.team != t.history[0].team for t in escalated)
    changes = sum(len(t.status_changes()) for t in stored)
    assert report.tickets.stream_records >= changes
    notes = report.tickets.notifications
    assert sum(notes.values()) == changes  # one record per status change: sent, held or skipped (with reason)
    assert notes["sent"] > 0 and report.tickets.screen_pops > 0


def test_the_same_seed_gives_the_same_tickets(ticket_day):
    report, stored = ticket_day
    again, stored_again = _ticket_day(TICKET_DAY_CALLS, 5)
    assert _figures(again.tickets) == _figures(report.tickets)
    assert [(t.ticket_id, t.status, t.team, t.version) for t in stored_again] == [
        (t.ticket_id, t.status, t.team, t.version) for t in stored]
