"""Verifying a caller by the PIN typed on the keypad, before the IVR says anything about the customer. Plain Python.

The calling number only says which customer the caller claims to be (it can be spoofed). The inbound flow
asks for the PIN before menu option 4 reads a ticket's status or lets the caller confirm or reopen it; this
module answers "verified" or not. The store is passed in (`PinStore`; the handler passes
functions/profiles/store.py), so this is testable without DynamoDB.

What an unverified caller learns: nothing. A wrong PIN, a customer without a PIN, a locked PIN and a number
that belongs to no customer all get the same sentence, so the answer does not tell a stranger whether the
number is a customer's or whether a PIN exists. The result code (for the flow's branch, metrics and logs)
does tell them apart. Only a verified answer carries the customer's name. Nor does the time tell: a refusal
that needs no comparison (no customer, no PIN, locked) still runs one scrypt check, against a hash of a PIN
nobody has, so every answer costs about the same.

Attempts: each wrong PIN is counted on the profile (functions/profiles/pin.py: MAX_FAILED_ATTEMPTS in a row
lock the PIN for LOCKOUT, across calls); a locked PIN is not even compared. The flow itself allows two tries
per call.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

import msgspec

from functions.profiles.pin import LOCKOUT, MAX_FAILED_ATTEMPTS, pin_matches
from functions.profiles.store import PinRecord, ProfileStoreUnavailable

MAX_ID_CHARS = 64
MAX_ENTRY_CHARS = 32


class Result(StrEnum):
    VERIFIED = "verified"
    NOT_VERIFIED = "not_verified"  # a wrong PIN (counted)
    LOCKED = "locked"  # too many wrong PINs in a row: not compared until the lock ends or an agent resets it
    NO_PIN = "no_pin"  # the customer has no PIN: an agent can set one
    NO_CUSTOMER = "no_customer"  # the number is on no profile (or the flow sent no customer id)
    UNAVAILABLE = "unavailable"  # the store did not answer


#: The hash of a random PIN that no customer has (its PIN was thrown away): what a refusal that needs no
#: comparison checks instead, so that it takes as long as a wrong PIN.
_NOBODYS_PIN_HASH = "scrypt$14$8$1$sDQE9lLcs6Ew2YQhh6tRgA==$fb078SQ52OcBPlfdai18QNBkGQ4KgqEhg1jJe2gYq80="

#: The one sentence every refusal gets, so that it gives nothing away.
NOT_VERIFIED_MESSAGE = "Sorry, we could not verify that PIN."
VERIFIED_MESSAGE = "Thank you, you are verified."
UNAVAILABLE_MESSAGE = "Sorry, we cannot check your PIN right now."


class PinStore(Protocol):
    def pin_record(self, customer_id: str) -> PinRecord | None: ...
    def record_pin_failure(self, customer_id: str, limit: int, locked_until: datetime) -> bool: ...
    def clear_pin_failures(self, customer_id: str) -> None: ...


class VerificationRequest(msgspec.Struct, frozen=True):
    customer_id: str
    pin: str

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, Any]) -> VerificationRequest:
        """From the flow's LambdaInvocationAttributes; anything that is not text (or is absurdly long) is empty."""

        def text(name: str, limit: int) -> str:
            value = parameters.get(name)
            value = value.strip() if isinstance(value, str) else ""
            return value if len(value) <= limit else ""

        return cls(customer_id=text("customer_id", MAX_ID_CHARS), pin=text("pin", MAX_ENTRY_CHARS))


class VerificationAnswer(msgspec.Struct, frozen=True):
    result: Result
    message: str
    customer_name: str = ""  # only when verified

    @property
    def verified(self) -> bool:
        return self.result is Result.VERIFIED

    def to_connect(self) -> dict[str, str]:
        """The flat string map the flow reads (STRING_MAP): every key always present."""
        return {"result": self.result.value, "verified": "true" if self.verified else "false",
                "message": self.message, "customer_name": self.customer_name}


def _refused(result: Result, pin: str = "") -> VerificationAnswer:
    if result in (Result.NO_CUSTOMER, Result.NO_PIN, Result.LOCKED):
        pin_matches(pin or "0000", _NOBODYS_PIN_HASH)  # as long as a comparison would take
    return VerificationAnswer(result, UNAVAILABLE_MESSAGE if result is Result.UNAVAILABLE else NOT_VERIFIED_MESSAGE)


def verify_caller(request: VerificationRequest, store: PinStore, now: datetime) -> VerificationAnswer:
    """Check the PIN the caller typed against the profile the calling number pointed to; never raises."""
    if not request.customer_id:
        return _refused(Result.NO_CUSTOMER, request.pin)
    try:
        record = store.pin_record(request.customer_id)
        if record is None:
            return _refused(Result.NO_CUSTOMER, request.pin)
        if not record.pin_hash:
            return _refused(Result.NO_PIN, request.pin)
        if record.locked_until is not None and now < record.locked_until:
            return _refused(Result.LOCKED, request.pin)
        if not pin_matches(request.pin, record.pin_hash):
            locked = store.record_pin_failure(request.customer_id, MAX_FAILED_ATTEMPTS, now + LOCKOUT)
            return _refused(Result.LOCKED if locked else Result.NOT_VERIFIED)
        if record.failures:
            store.clear_pin_failures(request.customer_id)
    except ProfileStoreUnavailable:
        return _refused(Result.UNAVAILABLE)
    return VerificationAnswer(Result.VERIFIED, VERIFIED_MESSAGE, record.name.strip())
