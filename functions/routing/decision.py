"""route_call: who is calling and the policy in, an explainable RoutingDecision out. Plain Python.

Evaluation order (documented in README.md, "Routing rules"):
1. Contacts the rules do not route get the default queue with a reason saying why: a channel other than
   voice and chat (functions/routing/channels.py says how each channel identifies the customer), or a
   contact not placed by or to the customer (transfers).
2. The policy's rules, first match wins: VIP line, VIP tier, repeat complainers, language, renewal,
   ticket follow-up (to the team of the caller's latest ticket), skill (menu choice).
3. No rule matched: the default queue; the reason says whether the caller was known, unknown,
   withheld, had an invalid number, or could not be looked up.
4. Priority: the rule's priority, raised (never lowered) by the caller's tier (tier_priority) and by
   an open ticket past its SLA (overdue_ticket_priority).
5. Time-zone-aware after-hours: if the chosen queue is closed, the decision says so and gives the
   next opening time in the caller's own time zone, for the after-hours message.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

import msgspec
from msgspec import field

from functions.common.ticket_overview import Status, TicketsOverview
from functions.profiles.profile import CustomerProfile
from functions.profiles.zone import customer_zone
from functions.routing.channels import ROUTED_CHANNELS
from functions.routing.policy import DEFAULT_PRIORITY, RoutingPolicy, Rule


class CallerStatus(StrEnum):
    KNOWN = "known"
    UNKNOWN = "unknown"
    WITHHELD = "withheld"
    INVALID_NUMBER = "invalid_number"
    LOOKUP_FAILED = "lookup_failed"
    REJECTED_CLAIM = "rejected_claim"  # a chat's signed customer id did not check: forged, altered or expired
    ANONYMOUS = "anonymous"  # a chat that neither signed in nor typed who they are


#: Reason code of the default route, by how far we got identifying the caller.
DEFAULT_REASONS = {
    CallerStatus.KNOWN: "DEFAULT",
    CallerStatus.UNKNOWN: "UNKNOWN_CALLER",
    CallerStatus.WITHHELD: "WITHHELD_NUMBER",
    CallerStatus.INVALID_NUMBER: "INVALID_NUMBER",
    CallerStatus.LOOKUP_FAILED: "PROFILE_UNAVAILABLE",
    CallerStatus.REJECTED_CLAIM: "CLAIM_NOT_VERIFIED",
    CallerStatus.ANONYMOUS: "ANONYMOUS_CHAT",
}
#: A channel the rules do not route (tasks, emails...): the name is older than chat routing.
NON_VOICE_REASON = "NON_VOICE_CHANNEL"
#: Initiation methods routed by the rules: callers, and customers we called who ask for an agent
#: (our reminder calls are started with StartOutboundVoiceContact, which Connect reports as API).
ROUTED_INITIATIONS = ("INBOUND", "OUTBOUND", "API")
NON_INBOUND_REASON = "NON_INBOUND_CONTACT"


class CallContext(msgspec.Struct, frozen=True):
    """What the contact itself tells us, already parsed."""

    channel: str  # upper case: VOICE, CHAT, TASK, EMAIL, ...
    initiation_method: str  # upper case: INBOUND, TRANSFER, QUEUE_TRANSFER, API, ...
    caller_e164: str | None
    dialed_e164: str | None
    now: datetime  # aware
    intent: str | None = None  # a menu choice or the outreach flow's "renewal": only intents the policy knows
    menu_answered: bool = False  # the caller chose something (even what no rule knows): the menu is not offered again
    chosen_language: str | None = None  # the language the caller chose in the IVR ("es"): it wins over the profile's


class CallerTickets(msgspec.Struct, frozen=True):
    """The caller's tickets as one call sees them: counted once, then carried in the contact attributes.

    The first decision takes them from the profile's screen-pop map (`profile.tickets`, read by the same
    by_phone Query that recognised the caller) at the moment of the call; a later decision in the same
    call takes them from the contact attributes the first one returned, so it neither reads DynamoDB
    nor sees a different picture than the agent's screen pop.
    """

    open_count: int = 0
    overdue_count: int = 0  # open tickets past their SLA due time
    latest_id: str = ""  # the newest ticket that is not closed (resolved ones included: they await a confirm)
    latest_status: Status | None = None
    latest_team: str = ""
    latest_overdue: bool = False

    @classmethod
    def from_overview(cls, overview: TicketsOverview, now: datetime) -> CallerTickets:
        latest = overview.latest
        return cls(
            open_count=overview.open_count,
            overdue_count=sum(1 for summary in overview.summaries if summary.overdue(now)),
            latest_id=latest.ticket_id if latest else "",
            latest_status=latest.status if latest else None,
            latest_team=latest.team if latest else "",
            latest_overdue=latest.overdue(now) if latest else False,
        )

    @property
    def has_latest(self) -> bool:
        return bool(self.latest_id) and self.latest_status is not None


NO_TICKETS = CallerTickets()


class RoutingDecision(msgspec.Struct, frozen=True):
    queue: str
    priority: int
    reason: str
    rule_id: str
    offer_menu: bool
    after_hours: bool
    caller_time_zone: str
    opens_at_local: datetime | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    tickets: CallerTickets = NO_TICKETS  # what the decision knew of the caller's tickets (the screen pop)
    intent: str | None = None  # the intent the decision was made on (one the policy knows), echoed to the flow
    language: str = ""  # the caller's language: the profile's, else the one chosen in the IVR, echoed to the flow
    channel: str = "VOICE"  # the contact's channel: the after-hours message is worded for it

    @property
    def explanation(self) -> str:
        return "; ".join(self.notes)


def _matches(rule: Rule, ctx: CallContext, profile: CustomerProfile | None, policy: RoutingPolicy,
             tickets: CallerTickets) -> bool:
    when = rule.when
    if when.dialed_line is not None and ctx.dialed_e164 not in policy.lines.get(when.dialed_line, ()):
        return False
    if when.intent_in is not None and ctx.intent not in when.intent_in:
        return False
    # A ticket whose team is no longer a queue cannot be followed up there: the rule does not match.
    if when.has_ticket and not (tickets.has_latest and tickets.latest_team in policy.queues):
        return False
    # The language the caller chose in the IVR, else the profile's.
    language = ctx.chosen_language or (profile.language if profile is not None else None)
    if when.language_in is not None and language not in when.language_in:
        return False
    needs_profile = (when.tier_in, when.min_recent_complaints)
    if any(condition is not None for condition in needs_profile) and profile is None:
        return False
    if profile is not None:
        if when.tier_in is not None and profile.tier not in when.tier_in:
            return False
        if when.min_recent_complaints is not None and profile.recent_complaints < when.min_recent_complaints:
            return False
    return True


def caller_time_zone(policy: RoutingPolicy, profile: CustomerProfile | None, caller_e164: str | None) -> str:
    """The caller's own zone: the profile's (if it is a known zone), else the number's if its region has exactly
    one, else the center's (functions/profiles/zone.py: customer_zone, the rule every feature shares)."""
    return customer_zone(profile, caller_e164, policy.center_time_zone)


def _rule_queue(rule: Rule, tickets: CallerTickets) -> str:
    if rule.route.queue_from == "latest_ticket_team":
        return tickets.latest_team
    assert rule.route.queue is not None  # the policy model requires one of queue and queue_from
    return rule.route.queue


def route_call(
    policy: RoutingPolicy,
    ctx: CallContext,
    profile: CustomerProfile | None,
    caller_status: CallerStatus,
    tickets: CallerTickets | None = None,
) -> RoutingDecision:
    """Decide one contact. `tickets` defaults to the profile's tickets at ctx.now (the first decision);
    a later decision passes the ones carried in the contact attributes."""
    if tickets is None:
        tickets = CallerTickets.from_overview(profile.tickets, ctx.now) if profile is not None else NO_TICKETS
    tz_name = caller_time_zone(policy, profile, ctx.caller_e164)
    notes: list[str] = [f"caller {caller_status.value}"]
    tier_priority = policy.tier_priority.get(profile.tier, DEFAULT_PRIORITY) if profile else DEFAULT_PRIORITY

    if ctx.channel not in ROUTED_CHANNELS:
        queue, priority, reason, rule_id, offer_menu = policy.default_queue, tier_priority, NON_VOICE_REASON, "", False
        notes.append(f"channel {ctx.channel or 'missing'} is not routed by the rules")
    elif ctx.initiation_method not in ROUTED_INITIATIONS:
        queue, priority, reason, rule_id, offer_menu = (
            policy.default_queue, tier_priority, NON_INBOUND_REASON, "", False)
        notes.append(f"initiation {ctx.initiation_method or 'missing'} is not an inbound contact")
    else:
        rule = next((r for r in policy.rules if _matches(r, ctx, profile, policy, tickets)), None)
        if rule is not None:
            queue, reason, rule_id, offer_menu = _rule_queue(rule, tickets), rule.reason, rule.id, False
            rule_priority = rule.route.priority
            notes.append(f"rule {rule.id}: {rule.description}" if rule.description else f"rule {rule.id}")
        else:
            queue, rule_priority, rule_id = policy.default_queue, DEFAULT_PRIORITY, "default"
            reason = DEFAULT_REASONS[caller_status]
            # The menu is offered once: a caller who already chose (or whose intent matched nothing) is not asked again.
            offer_menu = ctx.intent is None and not ctx.menu_answered
            notes.append("no rule matched: default queue")
        priority = min(rule_priority, tier_priority)
        if priority < rule_priority and profile is not None:
            notes.append(f"priority raised to {priority} for tier {profile.tier}")
        overdue_priority = policy.overdue_ticket_priority
        if tickets.overdue_count and overdue_priority is not None and overdue_priority < priority:
            priority = overdue_priority
            notes.append(f"priority raised to {priority}: {tickets.overdue_count} open ticket(s) past SLA")

    hours = policy.hours_for(queue)
    after_hours = not hours.is_open(ctx.now)
    opens_at_local = None
    if after_hours:
        opening = hours.next_opening(ctx.now)
        opens_at_local = opening.astimezone(ZoneInfo(tz_name)) if opening else None
        notes.append(f"queue {queue} is closed")
    return RoutingDecision(
        queue=queue,
        priority=priority,
        reason=reason,
        rule_id=rule_id,
        offer_menu=offer_menu and not after_hours,
        after_hours=after_hours,
        caller_time_zone=tz_name,
        opens_at_local=opens_at_local,
        notes=tuple(notes),
        tickets=tickets,
        intent=ctx.intent,
        language=ctx.chosen_language or (profile.language if profile is not None else ""),
        channel=ctx.channel,
    )


SPANISH_DAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")


def after_hours_message(decision: RoutingDecision) -> str:
    """What the customer hears (or reads, in a chat) when the queue is closed: the next opening in their own time
    zone, in their language (Spanish or English, the languages the IVR speaks)."""
    if decision.language == "es":
        return _after_hours_message_es(decision)
    chat = decision.channel == "CHAT"
    thanks = "Thank you for your message." if chat else "Thank you for calling."
    again = "Please write to us again later." if chat else "Please call again later. Goodbye."
    if decision.opens_at_local is None:
        return f"{thanks} We are closed right now. {again}"
    when = decision.opens_at_local
    day = when.strftime("%A")
    clock = when.strftime("%I:%M %p").lstrip("0")
    return (
        f"{thanks} We are closed right now. "
        f"We open again on {day} at {clock}, your time." + ("" if chat else " Goodbye.")
    )


def _after_hours_message_es(decision: RoutingDecision) -> str:
    chat = decision.channel == "CHAT"
    thanks = "Gracias por su mensaje." if chat else "Gracias por llamar."
    again = "Escríbanos de nuevo más tarde." if chat else "Llame de nuevo más tarde. Adiós."
    if decision.opens_at_local is None:
        return f"{thanks} En este momento estamos cerrados. {again}"
    when = decision.opens_at_local
    day = SPANISH_DAYS[when.weekday()]
    return (
        f"{thanks} En este momento estamos cerrados. "
        f"Abrimos de nuevo el {day} a las {when.strftime('%H:%M')}, su hora local." + ("" if chat else " Adiós.")
    )
