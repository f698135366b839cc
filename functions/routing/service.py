"""Identify the customer, decide the route, and shape Connect contact attributes.

The profile lookups are passed in (`ProfileLookup` for a phone number, or `ProfileLookups` with the email and
customer-id lookups a chat needs), so this module is testable without DynamoDB; the handler passes
functions/profiles/store.py. How each channel identifies the customer: functions/routing/channels.py. A chat's
signed customer id is checked with the chat-identity secret (`ClaimSecret`), asked for only when a chat
carries a claim.

One DynamoDB request per decision at most: the by_phone Query (by_email Query, or GetItem by customer id for a
chat) returns the whole profile, including its screen-pop map of tickets that are not closed
(`profile.tickets`) and the customer's recent contacts on every channel, so the caller's ticket state
(open count, the latest ticket's id, status and team, past SLA or not, and the sentence the IVR reads
out) comes with the identification. A later decision in the same call (the menu choice) reads none:
it rebuilds profile and tickets from the contact attributes the first decision returned.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import msgspec

from functions.common.contact_history import to_attribute
from functions.common.customer_claim import ClaimCheck, CustomerClaim, check_claim
from functions.common.phone import NumberStatus, mask_phone, parse_phone
from functions.common.ticket_overview import Status, status_message
from functions.profiles.profile import MAX_ZONE_CHARS, TIERS, CustomerProfile
from functions.routing.channels import Identity, IdentityKind, identity_kind, typed_identity
from functions.routing.contact import InboundContact
from functions.routing.decision import (
    NO_TICKETS,
    ROUTED_INITIATIONS,
    CallContext,
    CallerStatus,
    CallerTickets,
    RoutingDecision,
    after_hours_message,
    route_call,
)
from functions.routing.policy import RoutingPolicy

ProfileLookup = Callable[[str], CustomerProfile | None]
#: The chat-identity secret (functions/common/secrets.py); raises to say it cannot be had right now.
ClaimSecret = Callable[[], bytes]


class LookupFailed(Exception):
    """Raised by a ProfileLookup (or a ClaimSecret) when it cannot answer; the contact is routed without a profile."""


@dataclass(frozen=True)
class ProfileLookups:
    """Every way a contact can name its customer; each raises LookupFailed when the store cannot answer."""

    by_phone: ProfileLookup
    by_email: ProfileLookup | None = None
    by_customer_id: ProfileLookup | None = None


#: Every key the routing handler returns, always present (empty string when unknown), so that the
#: flow's UpdateContactAttributes never references a missing $.External value. Not the customer's name: the
#: calling number can be spoofed, so the name is only given once the caller typed their PIN (the
#: caller-verification Lambda returns it; docs/security.md, "Caller verification").
ATTRIBUTE_KEYS = (
    "customer_id", "tier", "language", "time_zone", "recent_complaints",
    "caller_status", "intent", "queue", "queue_arn", "priority", "reason", "rule", "offer_menu",
    "after_hours", "after_hours_message", "routing_note",
    # The caller's tickets (screen pop, IVR self-service, and the team of the ticket follow-up rule):
    "open_ticket_count", "overdue_ticket_count", "latest_ticket_id", "latest_ticket_status",
    "latest_ticket_team", "latest_ticket_overdue", "ticket_status_message",
    # How the customer was identified (functions/routing/channels.py) and their last contacts on any channel
    # (functions/common/contact_history.py: to_attribute), for the screen pop:
    "identity", "recent_contacts",
)
#: The contact attribute that carries the caller's menu choice into the second routing call.
INTENT_PARAMETER = "intent"
LANGUAGE_PARAMETER = "language"
MAX_NOTE_CHARS = 240
#: Values read back from the contact attributes are only trusted in these shapes (anything else: as if absent).
MAX_ATTRIBUTE_ID_CHARS = 64
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?$")
#: A `recent_contacts` attribute carried to a later decision is passed on only in the shape to_attribute writes.
_RECENT = re.compile(r"^[A-Za-z0-9_.:@+|;-]{0,1200}$")


class Identification(msgspec.Struct, frozen=True):
    status: CallerStatus
    caller_e164: str | None
    profile: CustomerProfile | None
    lookups: int  # DynamoDB requests made
    # Tickets carried over from the first decision's attributes (None: take them from the profile).
    remembered_tickets: CallerTickets | None = None
    identity: Identity = Identity.NONE
    remembered_recent: str | None = None  # the first decision's recent_contacts attribute, passed on as it was


def _count(value: str | None) -> int:
    try:
        return max(0, int(value or 0))
    except ValueError:
        return 0


def _tickets_from_attributes(attributes: dict[str, str]) -> CallerTickets:
    """The ticket state the first routing call stored in the contact attributes (no second read)."""
    try:
        status = Status(attributes.get("latest_ticket_status", ""))
    except ValueError:
        status = None
    latest_id = attributes.get("latest_ticket_id", "") if status is not None else ""
    latest_team = attributes.get("latest_ticket_team", "")
    if len(latest_id) > MAX_ATTRIBUTE_ID_CHARS or len(latest_team) > MAX_ATTRIBUTE_ID_CHARS:
        latest_id = ""
    return CallerTickets(
        open_count=_count(attributes.get("open_ticket_count")),
        overdue_count=_count(attributes.get("overdue_ticket_count")),
        latest_id=latest_id,
        latest_status=status if latest_id else None,
        latest_team=latest_team if latest_id else "",
        latest_overdue=attributes.get("latest_ticket_overdue") == "true" and bool(latest_id),
    )


def _profile_from_attributes(attributes: dict[str, str], caller_e164: str | None) -> CustomerProfile | None:
    """The profile the first routing call stored in the contact attributes (no second read).

    Contact attributes can be set by other flows and by the UpdateContactAttributes API, so what is read back
    is checked like input: an over-long customer id is no customer, a language or time zone that is not one
    is dropped (the zone is also checked against the IANA database where it is used: customer_zone)."""
    customer_id = attributes.get("customer_id", "")
    if (attributes.get("caller_status") != CallerStatus.KNOWN.value or not customer_id
            or len(customer_id) > MAX_ATTRIBUTE_ID_CHARS):
        return None
    try:
        complaints = max(0, int(attributes.get("recent_complaints") or 0))
    except ValueError:
        complaints = 0
    tier = attributes.get("tier", "standard")
    language = attributes.get("language", "")
    time_zone = attributes.get("time_zone", "")
    return CustomerProfile(
        customer_id=customer_id,
        phone=caller_e164 or "",
        name="",  # routing neither needs nor returns it
        tier=tier if tier in TIERS else "standard",
        language=language if _LANGUAGE.match(language) else "en",
        time_zone=time_zone if 0 < len(time_zone) <= MAX_ZONE_CHARS else None,
        recent_complaints=complaints,
    )


def _remembered(contact: InboundContact, caller_e164: str | None, identity: Identity) -> Identification | None:
    """A later decision in the same contact: what the first one found, from the attributes it returned."""
    remembered = contact.attributes.get("caller_status")
    if remembered not in {s.value for s in CallerStatus}:
        return None
    profile = _profile_from_attributes(contact.attributes, caller_e164)
    status = CallerStatus(remembered)
    if status is CallerStatus.KNOWN and profile is None:
        status = CallerStatus.UNKNOWN
    if status is CallerStatus.LOOKUP_FAILED:
        return None
    tickets = _tickets_from_attributes(contact.attributes) if profile is not None else NO_TICKETS
    recent = contact.attributes.get("recent_contacts", "")
    remembered_identity = contact.attributes.get("identity", "")
    if remembered_identity in {i.value for i in Identity}:
        identity = Identity(remembered_identity)
    return Identification(status, caller_e164, profile, 0, tickets, identity,
                          recent if profile is not None and _RECENT.match(recent) else "")


def _looked_up(lookup: ProfileLookup | None, key: str, caller_e164: str | None, identity: Identity
               ) -> Identification:
    if lookup is None:
        return Identification(CallerStatus.UNKNOWN, caller_e164, None, 0, identity=identity)
    try:
        profile = lookup(key)
    except LookupFailed:
        return Identification(CallerStatus.LOOKUP_FAILED, caller_e164, None, 1, identity=identity)
    status = CallerStatus.KNOWN if profile else CallerStatus.UNKNOWN
    return Identification(status, caller_e164, profile, 1, identity=identity)


def identify_caller(contact: InboundContact, lookup: ProfileLookup, default_region: str) -> Identification:
    """By the number Connect reports: a call's caller, or the sender of an SMS conversation."""
    number = parse_phone(contact.caller_address, default_region)
    if number.status is NumberStatus.WITHHELD:
        return Identification(CallerStatus.WITHHELD, None, None, 0)
    if number.status is NumberStatus.INVALID:
        return Identification(CallerStatus.INVALID_NUMBER, None, None, 0)
    remembered = _remembered(contact, number.e164, Identity.CALLER_ID)
    if remembered is not None:
        return remembered
    assert number.e164 is not None
    return _looked_up(lookup, number.e164, number.e164, Identity.CALLER_ID)


def identify_chat_customer(contact: InboundContact, lookups: ProfileLookups, default_region: str,
                           now: datetime, claim_secret: ClaimSecret | None) -> Identification:
    """A web chat: the customer id the site's backend signed for, else what the customer typed (a claim only)."""
    remembered = _remembered(contact, None, Identity.NONE)
    if remembered is not None:
        return remembered
    claim = CustomerClaim.from_attributes(contact.attributes)
    if claim is not None:
        if claim_secret is None:
            return Identification(CallerStatus.REJECTED_CLAIM, None, None, 0, identity=Identity.NONE)
        try:
            check = check_claim(claim, claim_secret(), now)
        except LookupFailed:
            return Identification(CallerStatus.LOOKUP_FAILED, None, None, 0, identity=Identity.NONE)
        if check is not ClaimCheck.VALID:
            return Identification(CallerStatus.REJECTED_CLAIM, None, None, 0, identity=Identity.NONE)
        return _looked_up(lookups.by_customer_id, claim.customer_id, None, Identity.SIGNED)
    typed = typed_identity(contact)
    if typed is None:
        return Identification(CallerStatus.ANONYMOUS, None, None, 0)
    kind, value = typed
    if kind == "email":
        return _looked_up(lookups.by_email, value, None, Identity.TYPED)
    number = parse_phone(value, default_region)
    if number.e164 is None:
        return Identification(CallerStatus.INVALID_NUMBER, None, None, 0, identity=Identity.TYPED)
    return _looked_up(lookups.by_phone, number.e164, number.e164, Identity.TYPED)


def accepted_intent(parameters: Mapping[str, str], policy: RoutingPolicy) -> str | None:
    """The caller's intent if the policy knows it (a rule's intent_in names it), else None.

    Only a known intent is used and echoed back: an unknown or over-long one (the flow never sends one;
    another flow or the API could) is neither matched against the rules nor returned to Connect."""
    raw = parameters.get(INTENT_PARAMETER, "")
    if len(raw) > MAX_ATTRIBUTE_ID_CHARS:
        return None
    intent = raw.strip().lower()
    return intent if intent in policy.intents else None


def chosen_language(parameters: Mapping[str, str]) -> str | None:
    """The language the caller chose in the IVR (the flow's `language` parameter), if it looks like one: its
    primary subtag ("es" for "es-US"), as the profiles and the policy's rules name languages."""
    raw = parameters.get(LANGUAGE_PARAMETER, "").strip().lower()
    return raw.split("-", 1)[0] if _LANGUAGE.match(raw) else None


def decide(
    contact: InboundContact,
    policy: RoutingPolicy,
    lookup: ProfileLookup | ProfileLookups,
    now: datetime,
    default_region: str = "US",
    claim_secret: ClaimSecret | None = None,
) -> tuple[RoutingDecision, Identification]:
    lookups = lookup if isinstance(lookup, ProfileLookups) else ProfileLookups(by_phone=lookup)
    kind = identity_kind(contact) if contact.initiation_method in ROUTED_INITIATIONS else IdentityKind.NONE
    if kind is IdentityKind.CALLER_ID:
        who = identify_caller(contact, lookups.by_phone, default_region)
    elif kind is IdentityKind.WEB:
        who = identify_chat_customer(contact, lookups, default_region, now, claim_secret)
    else:
        # Tasks, emails, transfers...: the endpoint is not a customer we can trust for lookup.
        who = Identification(
            CallerStatus.WITHHELD if contact.caller_address is None else CallerStatus.UNKNOWN, None, None, 0)
    dialed = parse_phone(contact.dialed_address, default_region)
    ctx = CallContext(
        channel=contact.channel,
        initiation_method=contact.initiation_method,
        caller_e164=who.caller_e164,
        dialed_e164=dialed.e164,
        now=now,
        intent=accepted_intent(contact.parameters, policy),
        menu_answered=bool(contact.parameters.get(INTENT_PARAMETER, "").strip()),
        chosen_language=chosen_language(contact.parameters),
    )
    return route_call(policy, ctx, who.profile, who.status, who.remembered_tickets), who


def to_contact_attributes(
    decision: RoutingDecision,
    who: Identification,
    queue_arns: dict[str, str],
) -> dict[str, str]:
    """The flat string map Connect expects (STRING_MAP validation), every key present."""
    profile = who.profile
    tickets = decision.tickets
    attributes = {
        "customer_id": profile.customer_id if profile else "",
        "tier": profile.tier if profile else "",
        "language": decision.language,
        "time_zone": decision.caller_time_zone,
        "recent_complaints": str(profile.recent_complaints) if profile else "",
        "caller_status": who.status.value,
        "intent": decision.intent or "",
        "queue": decision.queue,
        "queue_arn": queue_arns[decision.queue],
        "priority": str(decision.priority),
        "reason": decision.reason,
        "rule": decision.rule_id,
        "offer_menu": "true" if decision.offer_menu else "false",
        "after_hours": "true" if decision.after_hours else "false",
        "after_hours_message": after_hours_message(decision) if decision.after_hours else "",
        "routing_note": decision.explanation[:MAX_NOTE_CHARS],
        "open_ticket_count": str(tickets.open_count) if profile else "",
        "overdue_ticket_count": str(tickets.overdue_count) if profile else "",
        "latest_ticket_id": tickets.latest_id,
        "latest_ticket_status": tickets.latest_status.value if tickets.latest_status else "",
        "latest_ticket_team": tickets.latest_team,
        "latest_ticket_overdue": "true" if tickets.latest_overdue else "false",
        "ticket_status_message": (status_message(tickets.latest_id, tickets.latest_status)
                                  if tickets.has_latest and tickets.latest_status else ""),
        "identity": who.identity.value if profile else Identity.NONE.value,
        "recent_contacts": (who.remembered_recent if who.remembered_recent is not None
                            else to_attribute(profile.recent_contacts) if profile else ""),
    }
    assert tuple(attributes) == ATTRIBUTE_KEYS
    return attributes


def log_fields(contact: InboundContact, decision: RoutingDecision, who: Identification) -> dict[str, str]:
    """What may be logged about a decision: no full phone numbers, no names."""
    return {
        "contact_id": contact.contact_id,
        "caller": mask_phone(contact.caller_address),
        "caller_status": who.status.value,
        "queue": decision.queue,
        "priority": str(decision.priority),
        "reason": decision.reason,
        "rule": decision.rule_id,
        "after_hours": str(decision.after_hours).lower(),
        "open_tickets": str(decision.tickets.open_count),
        "latest_ticket_id": decision.tickets.latest_id,
    }
