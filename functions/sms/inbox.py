"""What an SMS to the center's number does. Plain Python; every port is passed in.

Why End User Messaging two-way SMS (its SNS topic) and not the number in Connect's SMS channel: surveys,
reminders and ticket updates are already texted from an End User Messaging origination identity
(functions/common/outbound.py), so the customer's reply reaches that same number, whose two-way destination
is our topic: one document per message with the sender, the text and a message id, read by one queue consumer
with the dead-letter queue, claims and pacing the other consumers have. In Connect's SMS channel an inbound SMS
starts a chat contact that runs a flow, and a flow reads a chat message's text only through an Amazon Lex bot
(Get customer input takes its Error branch on chat without one): a survey digit, a Y/N and STOP would each need
a bot to reach our code. What the chat
path needs besides: a bridge, so the agent's replies are texted back and the customer's later texts go into the
same chat (functions/sms/conversations.py: StartContactStreaming to our topic, a participant connection).

In order, for each message:
1. No valid sender: nothing can be answered (reason INVALID_SENDER); nothing else happens.
2. STOP (a keyword alone): the customer's profile is opted out of every campaign and survey, through the same
   opt-out the outreach flow's "press 9" uses (functions/outreach/store.py `opt_out`). End User Messaging itself
   answers the keyword and puts the number on its opt-out list, so we text nothing back.
3. Empty, or longer than a chat message can carry: a clear answer, nothing started (the customer still has
   their text; EMPTY_MESSAGE, MESSAGE_TOO_LONG).
4. A known customer's answer to their SMS survey (functions/surveys/sms_replies.py): recorded once, answered.
5. Anything else, from a number with an open conversation: sent into that chat (MESSAGE_FORWARDED; nothing is
   texted back, the agent answers). Otherwise an SMS contact for an agent, started as a chat (StartChatContact,
   paced; its ClientToken is derived from the message id, so a redelivered message is the same contact) on the SMS
   flow
   (infra/flows/sms.json), which asks the routing Lambda, so the same policy routes it. The sender's number is
   passed as the chat's `typed_identity` attribute: like a caller ID it may be spoofed, so it routes the contact
   and discloses nothing (no reply ever names the customer or their tickets; a survey answer only records).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Protocol

import msgspec

from functions.profiles.profile import CustomerProfile
from functions.sms.inbound import MAX_TEXT_CHARS, InboundSms, SmsKind, classify
from functions.surveys.sms_replies import SmsReplyResult

CLIENT_TOKEN_NAMESPACE = uuid.UUID("9d4f6a52-1b7e-4c3a-8f0e-6a2b9c1d5e77")
EMPTY_TEXT = "We received an empty message. Please write what we can help you with."
TOO_LONG_TEXT = (f"Your message is too long for us to pass on in one piece. Please send it in parts of up to "
                 f"{MAX_TEXT_CHARS:,} characters.")
RECEIVED_TEXT = "Thank you for your message. An agent will get back to you as soon as possible."
STOPPED_TEXT = "You are unsubscribed: we will not contact you again. Call us to change this."  # the keyword response


class SmsReason(StrEnum):
    INVALID_SENDER = "INVALID_SENDER"
    OPTED_OUT = "OPTED_OUT"
    OPT_OUT_UNKNOWN_NUMBER = "OPT_OUT_UNKNOWN_NUMBER"  # STOP from a number no profile has: nothing to opt out
    EMPTY_MESSAGE = "EMPTY_MESSAGE"
    MESSAGE_TOO_LONG = "MESSAGE_TOO_LONG"
    SURVEY_REPLY = "SURVEY_REPLY"  # see `survey_reason`
    CONTACT_STARTED = "CONTACT_STARTED"
    MESSAGE_FORWARDED = "MESSAGE_FORWARDED"  # into the sender's open SMS conversation


class SmsResult(msgspec.Struct, frozen=True):
    reason: SmsReason
    reply: str | None = None  # texted back to the sender (None: nothing)
    customer_id: str | None = None
    survey_reason: str | None = None  # SmsReplyReason of a survey reply
    survey_contact_id: str | None = None
    contact_id: str | None = None  # the SMS contact started for an agent (or the open one the text went into)
    recorded: bool = False  # a survey answer was stored by this message
    followup_unpublished: bool = False  # ... with a follow-up whose SurveyLowScore event did not go out


class ChatStart(msgspec.Struct, frozen=True):
    text: str
    sender: str
    client_token: str
    message_id: str = ""  # the inbound message's id


class Delivered(msgspec.Struct, frozen=True):
    contact_id: str
    started: bool  # a new contact (or the same one again, on a redelivery); False: a message into an open one


class SmsContacts(Protocol):
    def deliver(self, chat: ChatStart) -> Delivered:
        """Into the sender's open conversation, or a new contact (StartChatContact on the SMS flow); raises on
        failure."""
        ...


class SurveyAnswerer(Protocol):
    def answer_by_sms(self, customer_id: str, text: str) -> SmsReplyResult | None: ...


def client_token(message_id: str) -> str:
    return str(uuid.uuid5(CLIENT_TOKEN_NAMESPACE, message_id))


class SmsInbox:
    def __init__(self, *, profiles: Callable[[str], CustomerProfile | None], opt_out: Callable[[str, datetime], bool],
                 surveys: SurveyAnswerer, contacts: SmsContacts, clock: Callable[[], datetime]) -> None:
        self.profiles = profiles
        self.opt_out = opt_out
        self.surveys = surveys
        self.contacts = contacts
        self.clock = clock

    def receive(self, sms: InboundSms) -> SmsResult:
        if sms.sender is None:
            return SmsResult(SmsReason.INVALID_SENDER)
        kind = classify(sms.text)
        profile = self.profiles(sms.sender)
        customer_id = profile.customer_id if profile else None
        if kind is SmsKind.STOP:
            if customer_id is None or not self.opt_out(customer_id, self.clock()):
                return SmsResult(SmsReason.OPT_OUT_UNKNOWN_NUMBER)
            return SmsResult(SmsReason.OPTED_OUT, customer_id=customer_id)
        if kind is SmsKind.EMPTY:
            return SmsResult(SmsReason.EMPTY_MESSAGE, EMPTY_TEXT, customer_id)
        if kind is SmsKind.TOO_LONG:
            return SmsResult(SmsReason.MESSAGE_TOO_LONG, TOO_LONG_TEXT, customer_id)
        if customer_id is not None:
            answered = self.surveys.answer_by_sms(customer_id, sms.text)
            if answered is not None:
                return SmsResult(SmsReason.SURVEY_REPLY, answered.reply, customer_id, answered.reason.value,
                                 answered.contact_id, recorded=answered.recorded,
                                 followup_unpublished=answered.followup is not None and not answered.published)
        delivered = self.contacts.deliver(ChatStart(sms.text.strip(), sms.sender, client_token(sms.message_id),
                                                    sms.message_id))
        if not delivered.started:
            return SmsResult(SmsReason.MESSAGE_FORWARDED, None, customer_id, contact_id=delivered.contact_id)
        return SmsResult(SmsReason.CONTACT_STARTED, RECEIVED_TEXT, customer_id, contact_id=delivered.contact_id)
