"""The SMS <-> chat bridge on the local backend: the real sms-inbound and sms-chat-replies functions, the
Connect emulator's chat streaming and participant connection, the `sms-chat-stream` queue as SNS feeds it
(callcenter/sms_local.py)."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from callcenter.backend import local_client
from callcenter.event_sources import deliver
from callcenter.sms_local import agent_reply, end_chat, receive_sms
from functions.sms.conversation_store import SmsConversationItem, conversation_of
from functions.sms.conversations import MAX_SMS_CHARS, TRUNCATION_MARK

AT = datetime(2026, 11, 24, 18, 30, tzinfo=UTC)
JOSE = "+12065550180"
STRANGER = "+16175550199"  # a number no profile has


def started_contact(backend: Any, number: str = JOSE, text: str = "My router is down", at: datetime = AT) -> str:
    # End User Messaging's ids are opaque (never the number): one per number and moment here
    run = receive_sms(backend, number, text, at, message_id=f"first-{number[-4:]}-{at.isoformat()}")
    assert run.reasons == ["CONTACT_STARTED"]
    [(contact_id, _)] = run.contacts
    return contact_id


def test_a_second_text_goes_into_the_same_contact(demo_backend: Any) -> None:
    contact_id = started_contact(demo_backend)
    starts = len(demo_backend.connect._client_tokens)
    again = receive_sms(demo_backend, JOSE, "It blinks red now", AT + timedelta(minutes=3), message_id="second")
    assert again.reasons == ["MESSAGE_FORWARDED"]
    assert again.contacts == [] and again.replies == []  # no second contact, no "an agent will get back to you"
    assert demo_backend.connect.chat_messages[contact_id] == [
        ("CUSTOMER", "My router is down"), ("CUSTOMER", "It blinks red now")]
    # no StartChatContact for it: the only client tokens added are the SendMessage's
    assert [t for t in list(demo_backend.connect._client_tokens)[starts:] if not t.startswith("message:")] == []
    # the customer's own text, echoed on the stream, is not texted back
    assert again.stream_reasons == ["CUSTOMER_MESSAGE"]


def test_a_redelivered_second_text_is_one_chat_message(demo_backend: Any) -> None:
    contact_id = started_contact(demo_backend)
    run = receive_sms(demo_backend, JOSE, "Still down", AT + timedelta(minutes=1), deliveries=3, message_id="dup")
    assert run.reasons == ["MESSAGE_FORWARDED"] * 3
    assert demo_backend.connect.chat_messages[contact_id].count(("CUSTOMER", "Still down")) == 1


def test_an_agent_message_streamed_twice_is_texted_once(demo_backend: Any) -> None:
    contact_id = started_contact(demo_backend)
    run = agent_reply(demo_backend, contact_id, "Hi José, I am resetting your line now.", AT + timedelta(minutes=2),
                      deliveries=2)
    assert run.texts == [(JOSE, "Hi José, I am resetting your line now.")]
    assert sorted(run.stream_reasons) == ["DUPLICATE", "TEXTED"]
    claims = [item for item in SmsConversationItem.scan() if item.pk.startswith("out#")]
    assert [(c.status, c.contact_id, c.sender) for c in claims] == [("sent", None, None)]  # no number kept with it


def test_an_overlong_agent_message_is_one_capped_text(demo_backend: Any) -> None:
    contact_id = started_contact(demo_backend)
    assert contact_id in demo_backend.connect.streamed  # streamed since the start
    demo_backend.connect.post_chat_item(contact_id, "SYSTEM", "word " * 500)  # a flow's long message
    run = agent_reply(demo_backend, contact_id, "ok", AT)
    long_text = next(body for _, body in run.texts if body != "ok")
    assert len(long_text) == MAX_SMS_CHARS and long_text.endswith(TRUNCATION_MARK)


def test_agent_only_messages_and_other_chats_are_not_texted(demo_backend: Any) -> None:
    contact_id = started_contact(demo_backend)
    demo_backend.connect.post_chat_item(contact_id, "AGENT", "note to self", visibility="AGENT")
    run = agent_reply(demo_backend, contact_id, "visible", AT)
    assert run.texts == [(JOSE, "visible")]
    assert sorted(run.stream_reasons) == ["NOT_FOR_CUSTOMER", "TEXTED"]


def test_the_chat_ending_closes_the_conversation_and_a_later_text_starts_a_new_contact(demo_backend: Any) -> None:
    contact_id = started_contact(demo_backend)
    ended = end_chat(demo_backend, contact_id, AT + timedelta(minutes=10))
    assert ended.stream_reasons == ["CONVERSATION_CLOSED"]
    conversation = conversation_of(JOSE)
    assert conversation is not None and conversation.status == "closed" and conversation.connection_token == ""
    later = receive_sms(demo_backend, JOSE, "One more thing", AT + timedelta(minutes=20), message_id="later")
    assert later.reasons == ["CONTACT_STARTED"]
    [(new_contact, _)] = later.contacts
    assert new_contact != contact_id and later.first_messages == ["One more thing"]
    reopened = conversation_of(JOSE)
    assert reopened is not None and (reopened.status, reopened.contact_id) == ("open", new_contact)
    # a reply in the old, ended chat reaches nobody
    assert agent_reply(demo_backend, contact_id, "late", AT + timedelta(minutes=21)).texts == []


def test_an_expired_conversation_starts_a_new_contact(demo_backend: Any) -> None:
    contact_id = started_contact(demo_backend)
    later = receive_sms(demo_backend, JOSE, "Next day", AT + timedelta(hours=25), message_id="next-day")
    assert later.reasons == ["CONTACT_STARTED"] and later.contacts[0][0] != contact_id


def test_a_chat_that_ended_unheard_closes_on_the_next_text_which_starts_a_new_contact(demo_backend: Any) -> None:
    contact_id = started_contact(demo_backend)
    demo_backend.connect.streamed[contact_id].ended = True  # ended, its chat.ended event never arrived
    later = receive_sms(demo_backend, JOSE, "Hello?", AT + timedelta(minutes=5), message_id="hello")
    assert later.reasons == ["CONTACT_STARTED"] and later.contacts[0][0] != contact_id


def test_a_poison_stream_item_is_dead_lettered_and_the_rest_of_the_batch_is_texted(demo_backend: Any) -> None:
    contact_id = started_contact(demo_backend, STRANGER)
    sqs = local_client("sqs")
    url = demo_backend.queue_urls["sms-chat-stream"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"Type": "Notification", "Message": "{not json"}))
    demo_backend.connect.post_chat_item(contact_id, "AGENT", "first")
    demo_backend.connect.post_chat_item(contact_id, "AGENT", "second")
    for body in demo_backend.connect.take_stream_items():
        sqs.send_message(QueueUrl=url, MessageBody=body)
    texts_before = len(demo_backend.connect.texts)
    demo_backend.now = AT
    try:
        report = deliver(demo_backend, "sms-chat-stream")
    finally:
        demo_backend.now = None
    assert report.in_dead_letter_queue == 1 and report.succeeded == 2
    assert sorted(t.body for t in demo_backend.connect.texts[texts_before:]) == ["first", "second"]
    assert demo_backend.metric_total("MalformedChatStreamItems") >= 1


def test_the_customers_own_messages_are_not_texted_back(demo_backend: Any) -> None:
    contact_id = started_contact(demo_backend)
    run = agent_reply(demo_backend, contact_id, "echo", AT, role="CUSTOMER")
    assert run.texts == [] and run.stream_reasons == ["CUSTOMER_MESSAGE"]


def test_no_number_no_text_and_no_token_in_the_logs(demo_backend: Any, caplog: Any) -> None:
    # The functions' shared Powertools logger directly: its name is the service of whichever function imported it
    # first, and another test may have stopped it propagating or raised its level.
    from functions.common.observability import logger as functions_logger

    loggers = [functions_logger._logger]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(caplog.handler)
        lg.setLevel(logging.INFO)
    try:
        contact_id = started_contact(demo_backend, text="secret router trouble")
        receive_sms(demo_backend, JOSE, "second secret", AT + timedelta(minutes=1), message_id="log-2")
        agent_reply(demo_backend, contact_id, "agent secret answer", AT + timedelta(minutes=2))
        end_chat(demo_backend, contact_id, AT + timedelta(minutes=3))
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.removeHandler(caplog.handler)
            lg.setLevel(level)
    logged = " ".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records
                      if "functions/sms/" in record.pathname.replace("\\", "/"))
    assert "chat stream item" in logged and "inbound SMS" in logged  # the lines are there
    for secret in (JOSE, JOSE[1:], "secret", f"connection:{contact_id}"):
        assert secret not in logged, re.findall(f".{{200}}{re.escape(secret)}.{{60}}", logged)[:2]
