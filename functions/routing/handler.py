"""Routing Lambda, invoked from the inbound contact flow (InvokeLambdaFunction, STRING_MAP).

Thin: parse the Connect event, decide, shape the attributes. It never raises for
bad input: a malformed event, an unknown or withheld caller, or a DynamoDB that is
throttled or slow all produce a default decision with a reason. (If the function
itself fails or times out, the flow's error branch sends the call to the default queue.)
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from msgspec.structs import replace

from functions.common.clock import utc_now
from functions.common.observability import count_metric, logger, metrics
from functions.common.settings import ClientBounds, dynamodb_bounds, routing_settings
from functions.profiles import caller_lookup as profiles
from functions.profiles.profile import CustomerProfile
from functions.routing.contact import InboundContact, MalformedContactEvent, parse_contact
from functions.routing.policy import policy_with_lines
from functions.routing.service import LookupFailed, decide, log_fields, to_contact_attributes

MALFORMED_CONTACT = InboundContact(
    contact_id="unknown", channel="", initiation_method="", caller_address=None, dialed_address=None)


def _lookup(e164: str) -> CustomerProfile | None:
    try:
        return profiles.lookup_by_phone(e164, dynamodb_bounds(DDB_BOUNDS))
    except profiles.ProfileStoreUnavailable as exc:
        logger.warning("profile lookup failed; routing without a profile", extra={"error": str(exc)})
        metrics.add_metric(name="ProfileLookupFailed", unit=MetricUnit.Count, value=1)
        raise LookupFailed(str(exc)) from exc


# The call path: short timeouts and two attempts (the manifest tightens them further through DDB_*),
# so a throttled or slow table still yields a decision well inside Connect's time limit.
# The lookup uses botocore directly, not PynamoDB (functions/profiles/caller_lookup.py says why).
DDB_BOUNDS = ClientBounds(connect_timeout_s=0.5, read_timeout_s=0.8, max_attempts=2)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    settings = routing_settings()
    policy = policy_with_lines(settings.line_numbers)
    try:
        contact = parse_contact(event)
    except MalformedContactEvent as exc:
        logger.error("malformed contact event; default route", extra={"problem": str(exc)})
        metrics.add_metric(name="MalformedContactEvent", unit=MetricUnit.Count, value=1)
        contact = MALFORMED_CONTACT
    decision, who = decide(contact, policy, _lookup, utc_now(), settings.default_region)
    if contact is MALFORMED_CONTACT:
        decision = replace(decision, reason="MALFORMED_EVENT")
    logger.info("routing decision", extra=log_fields(contact, decision, who))
    metrics.add_metric(name="RoutingDecisions", unit=MetricUnit.Count, value=1)
    count_metric("RoutingDecisionsByReason", reason=decision.reason)
    return to_contact_attributes(decision, who, settings.queue_arns)
