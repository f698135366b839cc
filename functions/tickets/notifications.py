"""Progress updates: the customer hears about every status change of their ticket, once, at a decent hour.

About 570 lines in two halves (below) that share the settings, the record and the decision types; the
notifier half (claim, verify against the tickets table, send) is the one to move out when it grows again.

Plain Python, every input passed in. Two halves:

1. The event. `status_change_events(old, new)` turns one stored write of a ticket (the tickets table
   stream's old and new images) into one `TicketStatusChanged` per new history entry that changes the
   status (ticket.HistoryEntry.changes_status); creating a ticket is the change to `open`. Data:
   {ticket_id, customer_id, seq, from_status, to_status, team, subject, at, changed_by}, correlation id
   "<ticket_id>#<seq>". `changed_by` (the actor kind: agent, service, customer, system) is an addition to
   the first contract; consumers that do not know it ignore it.

2. The notifier (`TicketNotifier`), fed with those events from the ticket-notifications queue:
   - What is said (`compose`): the ticket id, its subject (shortened) and STATUS_PHRASES; a
     resolved ticket asks the customer to confirm ("call us and press 4 to confirm, or tell us it is not
     fixed"), the IVR self-service closes or reopens it.
   - Through which channel (`choose_channel`): the preferred channel when it is usable, else the other
     one: SMS needs consent_sms, a valid number and SMS enabled (SMS_ORIGINATION_IDENTITY); email needs an
     address on the profile and email enabled (EMAIL_FROM_IDENTITY). Progress updates are never phone
     calls: a customer who prefers voice gets SMS (if consented) or email. None usable: skipped, NO_CHANNEL.
   - When (`decide_notification`): never in the customer's quiet hours (their zone: the profile's, else
     the number's, else the center's, exactly as the survey dispatcher decides it). A change at 23:00
     is told at 09:00: delayed, not dropped.
   - At most once per change: the (ticket_id, seq) record in the ticket_notifications table is created
     with a conditional write before anything is sent, so a duplicate event (EventBridge and SQS are
     at-least-once, the stream consumer may publish again after a retry) finds it and sends nothing.
     The states and their moves are the survey dispatcher's (functions/surveys/dispatcher.py):
     no record -> skipped | delayed | sending; delayed once due, failed, or sending older than the
     claim lease (2x the notifier's timeout) -> claimable again; sending -> sent | failed. A channel
     failure marks the claim failed and raises, so the message is retried and finally lands in the
     dead-letter queue. A message that finds the change `sending` under a live lease is retried later
     (ClaimHeld), not dropped as a duplicate, so it outlives a notifier that crashes mid-send.
   - A crash after the claim (functions/common/claims.py has the rule and why the lease is not the
     visibility timeout): the redelivery of the crashed notifier's message always finds the claim stale
     and takes it over, counted as StaleClaimsTakenOver (alarmed). Both channels are at least once
     (docs/security.md, "Delivery guarantees"): neither an SMS nor an SES email has an idempotency
     token, so the crash may have come after the message went out and the customer may get it twice;
     the update is about their own request (a ticket resolved, waiting for them), and losing it leaves
     them uninformed, which is worse than a repeat.
   - Only changes the tickets table has (`verified_change`): anyone allowed events:PutEvents on the bus
     could otherwise have us text a customer a message of their choosing. Before anything is written
     or sent, the ticket is read (strongly consistent) and the event must name one of its stored
     status changes (same seq, customer and statuses); what is said is then taken from the table, not
     the event. An event that does not match is rejected (counted as UnverifiedTicketChanges, alarmed)
     and leaves no record, so a forged event cannot block the genuine change's notification either.

Which changes notify (notifications.json `notify_on`): every status, `open` included. Opening sends an
acknowledgement with the ticket number, as service desks do by default: the customer gets in writing
the reference the agent read out, a follow-up ticket opened from a low survey score (without the
customer on the line) tells them somebody is on it, and later updates refer to a number they have.
Two changes are not told: those the customer made themselves (`notify_changes_by_customer` false: they
just confirmed or reopened it in the IVR and heard the result), and those older than `max_age_hours`
(a message redriven from the dead-letter queue days later would announce a stale state). Both are
recorded as skipped with their reason. `opted_out` is honoured here too: the profile has one opt-out
flag and nothing tells a marketing opt-out from a service one yet, so the cautious reading wins.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol
from zoneinfo import ZoneInfo

import msgspec
from msgspec import Meta
from msgspec.structs import replace

from functions.common.claims import ClaimHeld, ClaimState, claim_state
from functions.common.clock import utc_now
from functions.common.documents import Strict, decode_document
from functions.common.events import DomainEvent
from functions.common.outbound import ChannelFailure
from functions.common.phone import NumberStatus, parse_phone
from functions.common.quiet_hours import SQS_MAX_DELAY_SECONDS, QuietHours, hop_delay_seconds
from functions.common.ticket_overview import STATUS_PHRASES, Status
from functions.common.zones import require_zone
from functions.profiles.profile import CustomerProfile, customer_zone
from functions.tickets.ticket import ActorKind, HistoryEntry, Ticket

TICKET_STATUS_CHANGED = "TicketStatusChanged"
DELAYED_NOTIFICATION = "delayed-ticket-notification"
NOTIFICATION_CHANNELS = ("sms", "email")
CHANNEL_ERROR = "CHANNEL_ERROR"
SETTINGS_FILE = Path(__file__).with_name("notifications.json")


# --- settings --------------------------------------------------------------------------------------

class NotificationSettings(Strict, kw_only=True):
    """functions/tickets/notifications.json, validated."""

    version: Literal[1]
    center_time_zone: str
    quiet_hours: QuietHours
    max_delay_seconds: Annotated[int, Meta(ge=1, le=SQS_MAX_DELAY_SECONDS)]
    notify_on: frozenset[Status]
    notify_changes_by_customer: bool = False
    max_age_hours: Annotated[int, Meta(ge=1, le=24 * 30)]
    confirm_key: Annotated[str, Meta(pattern=r"^[0-9]$")]
    subject_max_chars: Annotated[int, Meta(ge=10, le=120)]
    signature: Annotated[str, Meta(min_length=1, max_length=60)]

    def __post_init__(self) -> None:
        require_zone(self.center_time_zone, "center_time_zone")


class NotificationSettingsError(ValueError):
    """notifications.json is invalid; the message says what is wrong and where."""


@lru_cache(maxsize=4)
def load_notification_settings(path: Path = SETTINGS_FILE) -> NotificationSettings:
    return decode_document(path.read_bytes(), NotificationSettings, NotificationSettingsError,
                           "ticket notification settings")


# --- the event -------------------------------------------------------------------------------------

class StatusChange(msgspec.Struct, frozen=True):
    """One stored status change of a ticket: the data of a TicketStatusChanged event."""

    ticket_id: str
    customer_id: str
    seq: int
    from_status: Status | None
    to_status: Status
    team: str
    subject: str
    at: datetime
    changed_by: str | None = None  # ActorKind value; None in events from before it was added

    @property
    def key(self) -> str:
        return f"{self.ticket_id}#{self.seq}"

    def data(self) -> dict[str, Any]:
        return {
            "ticket_id": self.ticket_id, "customer_id": self.customer_id, "seq": self.seq,
            "from_status": self.from_status.value if self.from_status else None, "to_status": self.to_status.value,
            "team": self.team, "subject": self.subject, "at": self.at.astimezone(UTC).isoformat(),
            "changed_by": self.changed_by,
        }


def _actor_kind(label: str) -> str | None:
    kind = label.partition(":")[0]
    return kind if kind in ActorKind._value2member_map_ else None


def change_of(ticket: Ticket, entry: HistoryEntry) -> StatusChange:
    assert entry.to_status is not None
    return StatusChange(ticket.ticket_id, ticket.customer_id, entry.seq, entry.from_status, entry.to_status,
                        entry.team or ticket.team, ticket.subject, entry.at, _actor_kind(entry.actor))


def verified_change(ticket: Ticket | None, claimed: StatusChange) -> StatusChange | None:
    """The change as the tickets table stores it, if the event's `claimed` change is one of the ticket's status
    changes (same seq, customer and statuses); None for anything else (no such ticket, entry or match)."""
    if ticket is None or ticket.customer_id != claimed.customer_id:
        return None
    for entry in ticket.history:
        if entry.seq == claimed.seq:
            if not entry.changes_status or (entry.from_status, entry.to_status) != (claimed.from_status,
                                                                                     claimed.to_status):
                return None
            return change_of(ticket, entry)
    return None


def status_change_events(old: Ticket | None, new: Ticket) -> list[DomainEvent]:
    """The TicketStatusChanged events of one stored write: its history entries after the old image's last
    one that change the status (none for a note, an assignment or a priority change)."""
    after = old.last_seq if old is not None else 0
    return [DomainEvent(TICKET_STATUS_CHANGED, change_of(new, entry).data(), f"{new.ticket_id}#{entry.seq}")
            for entry in new.status_changes(after)]


class MalformedNotification(ValueError):
    """A queue message that is not a TicketStatusChanged event (nor a delayed one): retrying cannot help."""


class _ChangeData(msgspec.Struct, frozen=True, kw_only=True):
    """The event's data. A tolerant reader: fields added to the event later are ignored, not errors."""

    ticket_id: Annotated[str, Meta(min_length=1, max_length=64)]
    customer_id: Annotated[str, Meta(min_length=1, max_length=64)]
    seq: Annotated[int, Meta(ge=1)]
    from_status: Status | None = None
    to_status: Status
    team: str
    subject: str
    at: Annotated[datetime, Meta(tz=True)]  # needs a UTC offset
    changed_by: str | None = None


class NotificationRequest(msgspec.Struct, frozen=True):
    change: StatusChange
    envelope: Mapping[str, Any]  # the EventBridge event, as delivered (re-sent as is when delayed)
    not_before: datetime | None = None  # a delayed notification comes due


def parse_notification_request(body: str | bytes | Mapping[str, Any]) -> NotificationRequest:
    """The EventBridge envelope of a TicketStatusChanged event, or a delayed one:
    {"kind": "delayed-ticket-notification", "not_before": ISO-8601, "event": <envelope>}."""
    message = _json_object(body, "the message body")
    not_before = None
    if "kind" in message:
        if message["kind"] != DELAYED_NOTIFICATION:
            raise MalformedNotification(f"unknown message kind {str(message['kind'])[:40]!r}")
        try:
            not_before = datetime.fromisoformat(str(message.get("not_before")))
        except ValueError:
            raise MalformedNotification("a delayed notification needs an ISO-8601 `not_before`") from None
        if not_before.tzinfo is None:
            raise MalformedNotification("a delayed notification's `not_before` needs a UTC offset")
        message = _json_object(message.get("event"), "the delayed event")
    if message.get("detail-type") != TICKET_STATUS_CHANGED:
        raise MalformedNotification(f"not a {TICKET_STATUS_CHANGED} event")
    detail = message.get("detail")
    data = detail.get("data") if isinstance(detail, Mapping) else None
    try:
        parsed = msgspec.convert(data, _ChangeData)
    except msgspec.ValidationError as exc:  # msgspec names the field and the expected type, never the value
        raise MalformedNotification(f"bad event data: {exc}") from None  # (values hold personal data)
    change = StatusChange(parsed.ticket_id, parsed.customer_id, parsed.seq, parsed.from_status, parsed.to_status,
                          parsed.team, parsed.subject, parsed.at, parsed.changed_by)
    return NotificationRequest(change, message, not_before)


def _json_object(value: object, what: str) -> Mapping[str, Any]:
    if isinstance(value, str | bytes):
        try:
            value = json.loads(value)
        except ValueError:
            raise MalformedNotification(f"{what} is not JSON") from None
    if not isinstance(value, Mapping):
        raise MalformedNotification(f"{what} must be a JSON object")
    return value


def delayed_message(request: NotificationRequest, not_before: datetime) -> str:
    return json.dumps({"kind": DELAYED_NOTIFICATION, "not_before": not_before.astimezone(UTC).isoformat(),
                       "event": dict(request.envelope)}, separators=(",", ":"))


# --- what is said ----------------------------------------------------------------------------------

class Message(msgspec.Struct, frozen=True):
    subject: str  # the email subject (SMS sends the body only)
    body: str


_NEXT_STEP: dict[Status, str] = {
    Status.OPEN: "We will let you know when there is progress.",
    Status.IN_PROGRESS: "We will let you know when there is news.",
    Status.WAITING_ON_CUSTOMER: "Please call us so we can carry on.",
    Status.ESCALATED: "We will let you know when there is news.",
    Status.CLOSED: "If the problem comes back, call us and we will help.",
}


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3].rstrip() + "..."


def compose(change: StatusChange, profile: CustomerProfile, settings: NotificationSettings) -> Message:
    first_name = profile.display_name.split()[0]
    about = _shorten(change.subject, settings.subject_max_chars)
    opening = f"Hello {first_name}, your ticket {change.ticket_id} ({about}) {STATUS_PHRASES[change.to_status]}."
    if change.to_status is Status.RESOLVED:
        next_step = (f"Is it fixed? Call us and press {settings.confirm_key} to confirm, "
                     "or tell us it is not fixed and we will reopen it.")
        subject = f"Ticket {change.ticket_id} resolved: please confirm"
    else:
        next_step = _NEXT_STEP[change.to_status]
        subject = f"Ticket {change.ticket_id}: {change.to_status.value.replace('_', ' ')}"
    return Message(subject, f"{opening} {next_step} {settings.signature}")


# --- to whom, how, when ----------------------------------------------------------------------------

class Verdict(StrEnum):
    SEND = "send"
    DELAY = "delay"
    SKIP = "skip"


class Reason(StrEnum):
    NOT_NOTIFIED_STATUS = "NOT_NOTIFIED_STATUS"  # notifications.json does not notify this status
    CHANGED_BY_CUSTOMER = "CHANGED_BY_CUSTOMER"  # the customer made the change (IVR) and heard it there
    STALE = "STALE"  # older than max_age_hours (e.g. redriven from the dead-letter queue)
    UNKNOWN_CUSTOMER = "UNKNOWN_CUSTOMER"
    OPTED_OUT = "OPTED_OUT"
    NO_CHANNEL = "NO_CHANNEL"  # no consented SMS number and no email address (or those channels disabled)
    QUIET_HOURS = "QUIET_HOURS"  # DELAY
    ELIGIBLE = "ELIGIBLE"  # SEND


class NotificationDecision(msgspec.Struct, frozen=True):
    verdict: Verdict
    reason: Reason
    channel: str | None = None  # sms | email
    destination: str | None = None  # E.164 number or email address: never logged unmasked
    not_before: datetime | None = None  # DELAY: the end of the quiet hours (UTC)
    time_zone: str | None = None


def screen_change(change: StatusChange, now: datetime, settings: NotificationSettings) -> Reason | None:
    """What the event alone decides (before any read): a skip reason, or None."""
    if change.to_status not in settings.notify_on:
        return Reason.NOT_NOTIFIED_STATUS
    if change.changed_by == ActorKind.CUSTOMER.value and not settings.notify_changes_by_customer:
        return Reason.CHANGED_BY_CUSTOMER
    if now - change.at > timedelta(hours=settings.max_age_hours):
        return Reason.STALE
    return None


def choose_channel(profile: CustomerProfile, enabled: Collection[str]) -> tuple[str, str] | None:
    """(channel, destination): the preferred channel if usable, else the other one, else None."""
    number = parse_phone(profile.phone)
    usable = {
        "sms": number.e164 if ("sms" in enabled and profile.consent_sms
                               and number.status is NumberStatus.VALID) else None,
        "email": profile.email if "email" in enabled and profile.email else None,
    }
    preferred = profile.preferred_channel if profile.preferred_channel in NOTIFICATION_CHANNELS else "sms"
    for channel in (preferred, *(c for c in NOTIFICATION_CHANNELS if c != preferred)):
        destination = usable[channel]
        if destination:
            return channel, destination
    return None


def decide_notification(change: StatusChange, profile: CustomerProfile | None, now: datetime,
                        settings: NotificationSettings, enabled: Collection[str]) -> NotificationDecision:
    screened = screen_change(change, now, settings)
    if screened is not None:
        return NotificationDecision(Verdict.SKIP, screened)
    if profile is None:
        return NotificationDecision(Verdict.SKIP, Reason.UNKNOWN_CUSTOMER)
    if profile.opted_out:
        return NotificationDecision(Verdict.SKIP, Reason.OPTED_OUT)
    chosen = choose_channel(profile, enabled)
    if chosen is None:
        return NotificationDecision(Verdict.SKIP, Reason.NO_CHANNEL)
    channel, destination = chosen
    zone = customer_zone(profile, parse_phone(profile.phone).e164 or "", settings.center_time_zone)
    resume = settings.quiet_hours.resume_at(now, ZoneInfo(zone))
    if resume is not None:
        return NotificationDecision(Verdict.DELAY, Reason.QUIET_HOURS, channel, destination,
                                    resume.astimezone(UTC), zone)
    return NotificationDecision(Verdict.SEND, Reason.ELIGIBLE, channel, destination, time_zone=zone)


# --- the record ------------------------------------------------------------------------------------

class NotificationStatus(StrEnum):
    SENDING = "sending"  # claimed: the message is being sent
    SENT = "sent"
    SKIPPED = "skipped"  # with the reason
    DELAYED = "delayed"  # quiet hours: a delayed message is on the queue for `not_before`
    FAILED = "failed"  # the channel failed; the redelivered message may claim it again


class NotificationRecord(msgspec.Struct, frozen=True):
    ticket_id: str
    seq: int
    customer_id: str
    to_status: str
    status: NotificationStatus
    created_at: datetime
    updated_at: datetime
    reason: str | None = None
    channel: str | None = None
    outbound_id: str | None = None  # the SMS or SES message id
    not_before: datetime | None = None
    attempts: int = 0  # channel attempts
    version: int | None = None  # the store's optimistic lock (None: not stored yet)


class NotificationStoreUnavailable(RuntimeError):
    """DynamoDB did not answer (throttled, slow, failing) after bounded retries; the message is retried."""


# --- ports -----------------------------------------------------------------------------------------

class NotificationStore(Protocol):
    def get(self, ticket_id: str, seq: int) -> NotificationRecord | None: ...

    def create(self, record: NotificationRecord) -> NotificationRecord | None:
        """The record as stored, or None when the change already has one."""
        ...

    def replace(self, record: NotificationRecord, expected: NotificationRecord) -> NotificationRecord | None:
        """The record as stored, or None when the stored one is no longer `expected`."""
        ...


class NotificationChannel(Protocol):
    def send(self, destination: str, message: Message, change: StatusChange) -> str:
        """Send; return the message id or raise ChannelFailure."""
        ...


class NotificationQueue(Protocol):
    def send_later(self, body: str, delay_seconds: int) -> None: ...


ProfileReader = Callable[[str], CustomerProfile | None]
#: The change as the tickets table has it (verified_change on a strongly consistent read), or None.
ChangeVerifier = Callable[[StatusChange], StatusChange | None]


# --- the service -----------------------------------------------------------------------------------

class Outcome(StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"
    DELAYED = "delayed"
    REDELAYED = "redelayed"  # a delayed message that came back early was sent on again
    DUPLICATE = "duplicate"  # this change is already told
    REJECTED = "rejected"  # the event does not match the tickets table: nothing written or sent


class NotifyResult(msgspec.Struct, frozen=True):
    outcome: Outcome
    ticket_id: str
    seq: int
    to_status: str
    reason: str | None = None
    channel: str | None = None
    destination: str | None = None  # mask before logging
    outbound_id: str | None = None
    not_before: datetime | None = None
    stale_claim: bool = False  # this delivery took over the claim of a notifier that is gone


class NotificationFailed(RuntimeError):
    """The channel failed; the claim is marked failed. Raised so SQS redelivers (then the DLQ)."""

    def __init__(self, change: StatusChange, channel: str, code: str) -> None:
        super().__init__(f"notification {change.key} via {channel} failed: {code}")
        self.ticket_id = change.ticket_id
        self.seq = change.seq
        self.channel = channel
        self.code = code


class TicketNotifier:
    def __init__(self, *, settings: NotificationSettings, store: NotificationStore, profiles: ProfileReader,
                 changes: ChangeVerifier, channels: Mapping[str, NotificationChannel], queue: NotificationQueue,
                 claim_expiry: timedelta, clock: Callable[[], datetime] = utc_now) -> None:
        self.settings = settings
        self.changes = changes
        self.store = store
        self.profiles = profiles
        self.channels = channels
        self.queue = queue
        self.claim_expiry = claim_expiry
        self.clock = clock

    def notify(self, request: NotificationRequest) -> NotifyResult:
        now = self.clock()
        change = request.change
        if request.not_before is not None and now < request.not_before:
            self._send_later(request, request.not_before, now)
            return self._result(Outcome.REDELAYED, change, not_before=request.not_before)
        existing = self.store.get(change.ticket_id, change.seq)
        state = ClaimState.FREE if existing is None else self._claim_state(existing, now)
        if existing is not None and state is ClaimState.HELD:
            raise ClaimHeld(change.key, existing.status.value)
        if existing is not None and state is ClaimState.DONE:
            return self._result(Outcome.DUPLICATE, change, existing.status.value)
        stored = self.changes(change)
        if stored is None:
            return self._result(Outcome.REJECTED, change)
        result = self._decide_and_act(replace(request, change=stored), existing, now)
        return replace(result, stale_claim=True) if state is ClaimState.STALE else result

    def _decide_and_act(self, request: NotificationRequest, existing: NotificationRecord | None,
                        now: datetime) -> NotifyResult:
        change = request.change
        screened = screen_change(change, now, self.settings)
        profile = None if screened is not None else self.profiles(change.customer_id)  # no read for a skip
        decision = decide_notification(change, profile, now, self.settings, self.channels.keys())
        if decision.verdict is Verdict.SKIP:
            return self._skip(change, decision, existing, now)
        if decision.verdict is Verdict.DELAY:
            return self._delay(request, decision, existing, now)
        assert profile is not None
        return self._send(change, profile, decision, existing, now)

    def _claim_state(self, record: NotificationRecord, now: datetime) -> ClaimState:
        return claim_state(
            record.status, now=now, not_before=record.not_before, updated_at=record.updated_at,
            claim_lease=self.claim_expiry, retryable=(NotificationStatus.FAILED,),
            delayed=NotificationStatus.DELAYED, in_flight=NotificationStatus.SENDING)

    # --- outcomes ----------------------------------------------------------------------------------
    @staticmethod
    def _result(outcome: Outcome, change: StatusChange, reason: str | None = None, **fields: Any) -> NotifyResult:
        return NotifyResult(outcome, change.ticket_id, change.seq, change.to_status.value, reason, **fields)

    def _record(self, change: StatusChange, existing: NotificationRecord | None, now: datetime,
                status: NotificationStatus, **fields: Any) -> NotificationRecord:
        return NotificationRecord(
            ticket_id=change.ticket_id, seq=change.seq, customer_id=change.customer_id,
            to_status=change.to_status.value, status=status, created_at=existing.created_at if existing else now,
            updated_at=now, attempts=existing.attempts if existing else 0, **fields)

    def _write(self, record: NotificationRecord, existing: NotificationRecord | None) -> NotificationRecord | None:
        return self.store.create(record) if existing is None else self.store.replace(record, existing)

    def _skip(self, change: StatusChange, decision: NotificationDecision, existing: NotificationRecord | None,
              now: datetime) -> NotifyResult:
        record = self._record(change, existing, now, NotificationStatus.SKIPPED, reason=decision.reason.value)
        if self._write(record, existing) is None:
            return self._result(Outcome.DUPLICATE, change, "lost-race")
        return self._result(Outcome.SKIPPED, change, decision.reason.value)

    def _send_later(self, request: NotificationRequest, not_before: datetime, now: datetime) -> None:
        self.queue.send_later(delayed_message(request, not_before),
                              hop_delay_seconds(not_before, now, self.settings.max_delay_seconds))

    def _delay(self, request: NotificationRequest, decision: NotificationDecision,
               existing: NotificationRecord | None, now: datetime) -> NotifyResult:
        assert decision.not_before is not None
        change = request.change
        self._send_later(request, decision.not_before, now)  # first: a delayed record always has a message
        record = self._record(change, existing, now, NotificationStatus.DELAYED, reason=decision.reason.value,
                              channel=decision.channel, not_before=decision.not_before)
        if self._write(record, existing) is None:
            return self._result(Outcome.DUPLICATE, change, "lost-race")
        return self._result(Outcome.DELAYED, change, decision.reason.value, channel=decision.channel,
                            destination=decision.destination, not_before=decision.not_before)

    def _send(self, change: StatusChange, profile: CustomerProfile, decision: NotificationDecision,
              existing: NotificationRecord | None, now: datetime) -> NotifyResult:
        assert decision.channel and decision.destination
        claim = self._write(self._record(change, existing, now, NotificationStatus.SENDING,
                                         channel=decision.channel), existing)
        if claim is None:
            return self._result(Outcome.DUPLICATE, change, "lost-race")
        message = compose(change, profile, self.settings)
        try:
            outbound_id = self.channels[decision.channel].send(decision.destination, message, change)
        except Exception as exc:
            code = exc.code if isinstance(exc, ChannelFailure) else type(exc).__name__
            self._release(claim, code)
            raise NotificationFailed(change, decision.channel, code) from None  # the text may quote the address
        sent = replace(claim, status=NotificationStatus.SENT, outbound_id=outbound_id, updated_at=self.clock(),
                       attempts=claim.attempts + 1, reason=None)
        # None: the claim changed meanwhile (its lease ended and another delivery took it); the message is out anyway.
        self.store.replace(sent, claim)
        return self._result(Outcome.SENT, change, decision.reason.value, channel=decision.channel,
                            destination=decision.destination, outbound_id=outbound_id)

    def _release(self, claim: NotificationRecord, code: str) -> None:
        """Mark the claim failed, so the redelivered message may claim it again. If even that write fails,
        the claim stays `sending` until its lease ends; the redelivery takes it over."""
        failed = replace(claim, status=NotificationStatus.FAILED, reason=f"{CHANNEL_ERROR}:{code}",
                         updated_at=self.clock(), attempts=claim.attempts + 1)
        with contextlib.suppress(NotificationStoreUnavailable):
            self.store.replace(failed, claim)
