"""Reading End User Messaging's inbound SMS document and what the text says: plain Python, no AWS."""

from __future__ import annotations

import json

import pytest

from functions.sms.inbound import MAX_TEXT_CHARS, MalformedSms, SmsKind, classify, parse_inbound
from functions.surveys.sms_replies import read_answer

DOCUMENT = {"originationNumber": "+12065550180", "destinationNumber": "+18005550111", "messageKeyword": "KEYWORD_1",
            "messageBody": "Hi", "inboundMessageId": "abc-1", "previousPublishedMessageId": "p-1"}


def test_raw_and_sns_wrapped_documents_read_the_same() -> None:
    raw = parse_inbound(json.dumps(DOCUMENT))
    wrapped = parse_inbound(json.dumps({"Type": "Notification", "MessageId": "n", "Message": json.dumps(DOCUMENT)}))
    assert raw == wrapped
    assert (raw.message_id, raw.sender, raw.recipient, raw.text) == ("abc-1", "+12065550180", "+18005550111", "Hi")


@pytest.mark.parametrize("body", ["not json", "[]", json.dumps({"messageBody": "hi"}),
                                  json.dumps({**DOCUMENT, "messageBody": 5})])
def test_what_is_not_an_inbound_sms_is_malformed(body: str) -> None:
    with pytest.raises(MalformedSms):
        parse_inbound(body)


def test_an_invalid_sender_is_kept_as_none_and_control_characters_are_dropped() -> None:
    hebrew = "\u05e9\u05dc\u05d5\u05dd"
    sms = parse_inbound(json.dumps({**DOCUMENT, "originationNumber": "12", "messageBody": f"a\x00b\u200f{hebrew} 🧾"}))
    assert sms.sender is None
    assert sms.text == f"ab\u200f{hebrew} 🧾"  # NUL dropped; the right-to-left mark and the emoji kept


@pytest.mark.parametrize(("text", "kind"), [
    ("STOP", SmsKind.STOP), (" stop. ", SmsKind.STOP), ("Unsubscribe", SmsKind.STOP),
    ("please stop calling", SmsKind.TEXT),
    ("", SmsKind.EMPTY), (" \n ", SmsKind.EMPTY), ("x" * MAX_TEXT_CHARS, SmsKind.TEXT),
    ("x" * (MAX_TEXT_CHARS + 1), SmsKind.TOO_LONG), ("😀" * 10, SmsKind.TEXT)])
def test_classify(text: str, kind: SmsKind) -> None:
    assert classify(text) == kind


@pytest.mark.parametrize(("text", "score", "resolved", "number"), [
    ("4", 4, None, True), (" 5! ", 5, None, True), ("0", None, None, True), ("10", None, None, True),
    ("Y", None, "yes", False), ("no.", None, "no", False), ("yes please", None, None, False),
    ("٤", None, None, False)])  # an Arabic-Indic four is not taken for a score
def test_read_answer(text: str, score: int | None, resolved: str | None, number: bool) -> None:
    answer = read_answer(text)
    assert (answer.score, answer.resolved, answer.number) == (score, resolved, number)
