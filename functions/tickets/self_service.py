"""IVR self-service on the caller's latest ticket: hear its status, confirm or reopen a resolved one. Plain Python.

The inbound flow already knows the caller's latest ticket from the routing decision (contact attributes
`customer_id`, `latest_ticket_id`, `ticket_status_message`); this module serves the step after it, when a
caller says a resolved ticket is fixed (`confirm`: closed) or not (`reopen`: back to in progress with its
team), or asks for the current status (`status`). It acts as the customer (Actor kind CUSTOMER), so
TicketService's access rules apply: a caller can only touch their own ticket, and only a resolved one. And
only a caller who typed their PIN in this call (the flow's `caller_verified` contact attribute): the calling
number alone can be spoofed (docs/security.md, "Caller verification").

Everything the flow may receive is a `SelfServiceAnswer`: a result code and a sentence to play. Bad input
(no customer, no ticket, somebody else's ticket, a ticket that is not resolved any more) and a store that
does not answer all become a polite answer, never an exception, so the flow always has something to say
and goes on to an agent. A caller whose answer was already recorded (Connect retries a Lambda that failed
or timed out after it had written) gets the same answer again instead of an error: confirming twice is
still "closed".

The status sentence is `status_message` (functions/common/ticket_overview.py), which the routing Lambda also
returns as `ticket_status_message`, so the caller hears the same words in both places. Ticket ids are read
as their last four characters.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import msgspec

from functions.common.ticket_overview import Status, spoken_id, status_message
from functions.tickets.ticket import (
    AccessDenied,
    Actor,
    ActorKind,
    CustomerNotFound,
    InvalidChange,
    Ticket,
    TicketNotFound,
    TicketStoreUnavailable,
    TransitionNotAllowed,
    VersionConflict,
)

if TYPE_CHECKING:  # the service is passed in, so this module loads no store
    from functions.tickets.service import TicketService

#: Attempts at a confirm or reopen that lost a race with an agent's change (each re-reads the ticket).
ATTEMPTS = 2
MAX_ID_CHARS = 64


class Action(StrEnum):
    CONFIRM = "confirm"  # the resolved ticket is fixed: close it
    REOPEN = "reopen"  # it is not fixed: back to in progress with its team
    STATUS = "status"  # just say where it stands


class Result(StrEnum):
    CLOSED = "closed"
    REOPENED = "reopened"
    STATUS = "status"
    NOT_RESOLVED = "not_resolved"  # the ticket moved on (an agent reopened or closed it): nothing to confirm
    NOT_FOUND = "not_found"  # no such ticket for this caller (missing, or another customer's: same answer)
    NO_CUSTOMER = "no_customer"  # the caller is not a known customer
    NOT_VERIFIED = "not_verified"  # the caller has not typed their PIN in this call: nothing is read or changed
    BAD_REQUEST = "bad_request"  # an action or parameter the flow should never send
    UNAVAILABLE = "unavailable"  # the store did not answer, or kept changing under us


_MESSAGES = {
    Result.NOT_FOUND: "Sorry, we could not find that ticket for this phone number.",
    Result.NO_CUSTOMER: "Sorry, we could not find your customer record, so we cannot change a ticket by phone.",
    Result.BAD_REQUEST: "Sorry, we could not understand that request.",
    Result.NOT_VERIFIED: "Sorry, we can only do this once you have entered your phone PIN.",
    Result.UNAVAILABLE: "Sorry, we cannot update your ticket right now.",
}


class SelfServiceRequest(msgspec.Struct, frozen=True):
    action: str
    customer_id: str
    ticket_id: str
    contact_id: str | None = None
    # The inbound flow sets the contact attribute caller_verified to "true" only after the caller-verification
    # Lambda accepted the PIN (the caller cannot set contact attributes). Without it nothing is read or changed.
    caller_verified: bool = False

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, Any], contact_id: Any = None,
                        caller_verified: bool = False) -> SelfServiceRequest:
        """From the flow's LambdaInvocationAttributes; anything that is not text counts as missing."""

        def text(name: str) -> str:
            value = parameters.get(name)
            return value.strip() if isinstance(value, str) else ""

        return cls(action=text("action").lower(), customer_id=text("customer_id"),
                   ticket_id=text("ticket_id") or text("latest_ticket_id"),
                   contact_id=contact_id if isinstance(contact_id, str) and contact_id else None,
                   caller_verified=caller_verified)


class SelfServiceAnswer(msgspec.Struct, frozen=True):
    result: Result
    message: str
    ticket_id: str = ""
    ticket_status: str = ""  # the ticket's status after the request ("" when unknown)

    @classmethod
    def refused(cls, result: Result, ticket_id: str = "") -> SelfServiceAnswer:
        return cls(result, _MESSAGES[result], ticket_id)

    @classmethod
    def about(cls, result: Result, ticket: Ticket, message: str) -> SelfServiceAnswer:
        return cls(result, message, ticket.ticket_id, ticket.status.value)

    def to_connect(self) -> dict[str, str]:
        """The flat string map the flow reads (STRING_MAP): every key always present."""
        return {"result": self.result.value, "message": self.message, "ticket_id": self.ticket_id,
                "ticket_status": self.ticket_status}


def serve(request: SelfServiceRequest, service: TicketService) -> SelfServiceAnswer:
    """Carry out one self-service request for the caller; never raises for bad input or a failing store."""
    try:
        action = Action(request.action)
    except ValueError:
        return SelfServiceAnswer.refused(Result.BAD_REQUEST, request.ticket_id)
    if not request.caller_verified:
        return SelfServiceAnswer.refused(Result.NOT_VERIFIED, request.ticket_id)
    if not request.customer_id:
        return SelfServiceAnswer.refused(Result.NO_CUSTOMER)
    if not request.ticket_id or len(request.ticket_id) > MAX_ID_CHARS:
        return SelfServiceAnswer.refused(Result.NOT_FOUND)
    customer = Actor(request.customer_id, ActorKind.CUSTOMER)
    try:
        if action is Action.STATUS:
            ticket = service.get(customer, request.ticket_id)
            return SelfServiceAnswer.about(Result.STATUS, ticket, status_message(ticket.ticket_id, ticket.status))
        return _confirm_or_reopen(service, customer, request, fixed=action is Action.CONFIRM)
    except (TicketNotFound, AccessDenied):
        return SelfServiceAnswer.refused(Result.NOT_FOUND, request.ticket_id)
    except CustomerNotFound:
        return SelfServiceAnswer.refused(Result.NO_CUSTOMER, request.ticket_id)
    except (TicketStoreUnavailable, VersionConflict):
        return SelfServiceAnswer.refused(Result.UNAVAILABLE, request.ticket_id)


def _confirm_or_reopen(service: TicketService, customer: Actor, request: SelfServiceRequest,
                       fixed: bool) -> SelfServiceAnswer:
    for attempt in range(1, ATTEMPTS + 1):
        try:
            ticket = service.confirm_resolution(customer, request.ticket_id, fixed, contact_id=request.contact_id)
        except VersionConflict:
            if attempt == ATTEMPTS:
                raise
            continue  # an agent changed the ticket meanwhile: read it again and decide on what is there now
        except (InvalidChange, TransitionNotAllowed):
            return _not_resolved(service.get(customer, request.ticket_id), customer, fixed)
        return _done(ticket, fixed)
    raise AssertionError("unreachable")


def _done(ticket: Ticket, fixed: bool) -> SelfServiceAnswer:
    ending = spoken_id(ticket.ticket_id)
    if fixed:
        return SelfServiceAnswer.about(
            Result.CLOSED, ticket, f"Thank you for confirming. Your ticket ending in {ending} is now closed.")
    return SelfServiceAnswer.about(
        Result.REOPENED, ticket,
        f"We are sorry the problem is not solved. Your ticket ending in {ending} has been reopened "
        f"and is back with the {ticket.team} team.")


def _not_resolved(ticket: Ticket, customer: Actor, fixed: bool) -> SelfServiceAnswer:
    """The ticket is not resolved (any more). If it is so because this caller already answered (a retried
    invocation), repeat that answer; otherwise say where the ticket stands."""
    last = next((entry for entry in reversed(ticket.history) if entry.changes_status), None)
    wanted = Status.CLOSED if fixed else Status.IN_PROGRESS
    if (last is not None and last.actor == customer.label and last.from_status is Status.RESOLVED
            and last.to_status is wanted and ticket.status is wanted):
        return _done(ticket, fixed)
    return SelfServiceAnswer.about(
        Result.NOT_RESOLVED, ticket,
        f"{status_message(ticket.ticket_id, ticket.status, confirm_prompt=False)} There is nothing to confirm.")
