"""What the customer said on the outreach call, stored: answered, "remind me later" (2), "stop these calls" (9).

Plain Python: the store, the opt-out and the clock are passed in. Nothing here raises for bad
input; every outcome is a `ResponseResult` whose reason code and confirmation text the outreach
flow receives.

- `answered` (the flow's first step): the record is `answered`, so a voice contact that never gets
  there is a call nobody picked up.
- `remind_later`: the record waits as `remind_later` with `due_on` = today + the campaign's
  `remind_after_days` (never on or after the date itself); the planner plans it again that day,
  as round + 1 (a new call, a new ClientToken). The frequency cap lets this same record through.
- `stop`: the profile's `opted_out` is set first (no campaign contacts an opted-out customer: the
  planner skips them, the sender re-reads the profile before every contact), then the record is
  `stopped`. The opt-out stands even when the record cannot be found or written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import msgspec

from functions.outreach.campaigns import Campaign, OutreachPolicy, UnknownCampaign, spoken_date
from functions.outreach.record import (
    RESPONDABLE_STATUSES,
    OutreachRecord,
    OutreachStatus,
    OutreachStoreUnavailable,
    cycle_key,
)

WRITE_ATTEMPTS = 2  # read-modify-write, once more if the sender wrote in between
STOPPED_TEXT = "You will not receive these calls from us again. Thank you, and goodbye."
SORRY_TEXT = ("Sorry, we could not save your choice right now. Please call us to update your preferences. "
              "Goodbye.")


class ResponseAction(StrEnum):
    ANSWERED = "answered"
    REMIND_LATER = "remind_later"
    STOP = "stop"


class ResponseReason(StrEnum):
    RECORDED = "RECORDED"
    ALREADY_RECORDED = "ALREADY_RECORDED"  # a repeat: the first answer stands
    TOO_LATE = "TOO_LATE"  # remind later: the date is too close to call again
    NOT_CONTACTED = "NOT_CONTACTED"  # the record is not a placed contact (skipped, planned, stopped, ...)
    UNKNOWN_OUTREACH = "UNKNOWN_OUTREACH"  # no record for this customer, campaign and date
    UNKNOWN_CUSTOMER = "UNKNOWN_CUSTOMER"  # stop: neither a profile nor a record
    INVALID_ACTION = "INVALID_ACTION"
    MISSING_CUSTOMER_ID = "MISSING_CUSTOMER_ID"
    UNKNOWN_CAMPAIGN = "UNKNOWN_CAMPAIGN"
    INVALID_EXPIRES = "INVALID_EXPIRES"
    STORE_UNAVAILABLE = "STORE_UNAVAILABLE"
    MALFORMED_EVENT = "MALFORMED_EVENT"


class OutreachAnswer(msgspec.Struct, frozen=True):
    action: ResponseAction
    customer_id: str
    campaign: Campaign
    expires: date

    @property
    def cycle(self) -> str:
        return cycle_key(self.campaign.id, self.expires)


class ResponseResult(msgspec.Struct, frozen=True):
    recorded: bool
    reason: ResponseReason
    action: str | None = None
    customer_id: str | None = None
    cycle: str | None = None
    remind_on: date | None = None
    confirmation: str = SORRY_TEXT

    def to_connect(self) -> dict[str, str]:
        """The flat string map the outreach flow receives (STRING_MAP), always these three keys."""
        return {"recorded": "true" if self.recorded else "false", "reason": self.reason.value,
                "confirmation": self.confirmation}


class InvalidAnswer(ValueError):
    def __init__(self, reason: ResponseReason) -> None:
        super().__init__(reason.value)
        self.reason = reason


class ResponseStore(Protocol):
    def get(self, customer_id: str, cycle: str) -> OutreachRecord | None: ...

    def replace(self, record: OutreachRecord, expected: OutreachRecord) -> OutreachRecord | None: ...


OptOut = Callable[[str, datetime], bool]  # (customer_id, now) -> the profile existed


def _text(parameters: Mapping[str, Any], key: str) -> str:
    value = parameters.get(key)
    return value.strip() if isinstance(value, str) else ""


def parse_answer(parameters: Mapping[str, Any], policy: OutreachPolicy) -> OutreachAnswer:
    """The flow's Parameters: action, customer_id, campaign_id, expires (YYYY-MM-DD)."""
    try:
        action = ResponseAction(_text(parameters, "action").lower())
    except ValueError:
        raise InvalidAnswer(ResponseReason.INVALID_ACTION) from None
    customer_id = _text(parameters, "customer_id")
    if not customer_id:
        raise InvalidAnswer(ResponseReason.MISSING_CUSTOMER_ID)
    try:
        campaign = policy.campaign(_text(parameters, "campaign_id"))
    except UnknownCampaign:
        raise InvalidAnswer(ResponseReason.UNKNOWN_CAMPAIGN) from None
    try:
        expires = date.fromisoformat(_text(parameters, "expires"))
    except ValueError:
        raise InvalidAnswer(ResponseReason.INVALID_EXPIRES) from None
    return OutreachAnswer(action, customer_id, campaign, expires)


def remind_on(campaign: Campaign, expires: date, today: date) -> date | None:
    """The day to call again: remind_after_days from today, at the latest the day before the date."""
    day = min(today + timedelta(days=campaign.remind_after_days), expires - timedelta(days=1))
    return day if day > today else None


def remind_text(day: date) -> str:
    return f"Thank you. We will call you again on {spoken_date(day)}. Goodbye."


def too_late_text(campaign: Campaign, expires: date) -> str:
    return (f"Your {campaign.subject} expires on {spoken_date(expires)}, so we will not call again before then. "
            "Please call us when you are ready to renew. Goodbye.")


class OutreachResponder:
    def __init__(self, *, policy: OutreachPolicy, store: ResponseStore, opt_out: OptOut,
                 clock: Callable[[], datetime]) -> None:
        self.policy = policy
        self.store = store
        self.opt_out = opt_out
        self.clock = clock

    def respond(self, parameters: Mapping[str, Any]) -> ResponseResult:
        try:
            answer = parse_answer(parameters, self.policy)
        except InvalidAnswer as invalid:
            return ResponseResult(False, invalid.reason, _text(parameters, "action") or None,
                                  _text(parameters, "customer_id") or None)
        try:
            if answer.action is ResponseAction.STOP:
                return self._stop(answer)
            return self._update(answer)
        except OutreachStoreUnavailable:
            return self._result(answer, False, ResponseReason.STORE_UNAVAILABLE)

    def _result(self, answer: OutreachAnswer, recorded: bool, reason: ResponseReason, *,
                remind: date | None = None, confirmation: str = SORRY_TEXT) -> ResponseResult:
        return ResponseResult(recorded, reason, answer.action.value, answer.customer_id, answer.cycle, remind,
                              confirmation)

    # --- stop ------------------------------------------------------------------------------------------
    def _stop(self, answer: OutreachAnswer) -> ResponseResult:
        now = self.clock()
        profile_found = self.opt_out(answer.customer_id, now)
        for _ in range(WRITE_ATTEMPTS):
            record = self.store.get(answer.customer_id, answer.cycle)
            if record is None or record.status is OutreachStatus.STOPPED:
                break
            if self.store.replace(record.moved(OutreachStatus.STOPPED, now, reason="CUSTOMER_REQUEST"), record):
                return self._result(answer, True, ResponseReason.RECORDED, confirmation=STOPPED_TEXT)
        if record is not None and record.status is OutreachStatus.STOPPED:
            return self._result(answer, True, ResponseReason.ALREADY_RECORDED, confirmation=STOPPED_TEXT)
        if profile_found:
            return self._result(answer, True, ResponseReason.RECORDED, confirmation=STOPPED_TEXT)
        return self._result(answer, False, ResponseReason.UNKNOWN_CUSTOMER)

    # --- answered, remind later ------------------------------------------------------------------------
    def _update(self, answer: OutreachAnswer) -> ResponseResult:
        for _ in range(WRITE_ATTEMPTS):
            record = self.store.get(answer.customer_id, answer.cycle)
            if record is None:
                return self._result(answer, False, ResponseReason.UNKNOWN_OUTREACH)
            now = self.clock()
            if answer.action is ResponseAction.ANSWERED:
                result, changed = self._answered(answer, record, now)
            else:
                result, changed = self._remind(answer, record, now)
            if changed is None or self.store.replace(changed, record) is not None:
                return result
        return self._result(answer, False, ResponseReason.ALREADY_RECORDED)

    def _answered(self, answer: OutreachAnswer, record: OutreachRecord, now: datetime
                  ) -> tuple[ResponseResult, OutreachRecord | None]:
        if record.status is OutreachStatus.ANSWERED:
            return self._result(answer, False, ResponseReason.ALREADY_RECORDED, confirmation=""), None
        if record.status not in (OutreachStatus.SENDING, OutreachStatus.CONTACTED):
            return self._result(answer, False, ResponseReason.NOT_CONTACTED, confirmation=""), None
        changed = record.moved(OutreachStatus.ANSWERED, now, channel="voice")
        return self._result(answer, True, ResponseReason.RECORDED, confirmation=""), changed

    def _remind(self, answer: OutreachAnswer, record: OutreachRecord, now: datetime
                ) -> tuple[ResponseResult, OutreachRecord | None]:
        if record.status is OutreachStatus.REMIND_LATER and record.due_on is not None:
            return self._result(answer, False, ResponseReason.ALREADY_RECORDED, remind=record.due_on,
                                confirmation=remind_text(record.due_on)), None
        if record.status not in RESPONDABLE_STATUSES:
            return self._result(answer, False, ResponseReason.NOT_CONTACTED), None
        today = now.astimezone(ZoneInfo(answer.campaign.schedule.time_zone)).date()
        day = remind_on(answer.campaign, answer.expires, today)
        if day is None:
            return self._result(answer, False, ResponseReason.TOO_LATE,
                                confirmation=too_late_text(answer.campaign, answer.expires)), None
        changed = record.moved(OutreachStatus.REMIND_LATER, now, note=day.isoformat(), due_on=day,
                               round=record.round + 1)
        return self._result(answer, True, ResponseReason.RECORDED, remind=day, confirmation=remind_text(day)), changed
