"""Routing Lambda, invoked from the inbound contact flow (InvokeLambdaFunction, STRING_MAP).

Thin: parse the Connect event, decide, shape the attributes. It never raises for
bad input: a malformed event, an unknown or withheld caller, or a DynamoDB that is
throttled or slow all produce a default decision with a reason. (If the function
itself fails or times out, the flow's error branch sends the call to the default queue.)

Every channel goes through here (functions/routing/channels.py): calls and SMS conversations are identified by
the number, web chats by the customer id the site's backend signed (checked with the chat-identity secret,
read from Secrets Manager only when a chat carries a claim, then cached: functions/common/secrets.py) or by
what the customer typed. Still one DynamoDB request per decision.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from msgspec.structs import replace

from functions.common.clock import utc_now
from functions.common.observability import count_metric, logger, metrics
from functions.common.secrets import SecretUnavailable, secret_bytes
from functions.common.settings import ClientBounds, dynamodb_bounds, optional_env, routing_settings
from functions.profiles import caller_lookup as profiles
from functions.profiles.profile import CustomerProfile
from functions.routing.contact import InboundContact, MalformedContactEvent, parse_contact
from functions.routing.policy import policy_with_lines
from functions.routing.service import LookupFailed, ProfileLookups, decide, log_fields, to_contact_attributes

MALFORMED_CONTACT = InboundContact(
    contact_id="unknown", channel="", initiation_method="", caller_address=None, dialed_address=None)


Lookup = Callable[[str, ClientBounds], CustomerProfile | None]


def _guarded(lookup: Lookup) -> Callable[[str], CustomerProfile | None]:
    def guarded(key: str) -> CustomerProfile | None:
        try:
            return lookup(key, dynamodb_bounds(DDB_BOUNDS))
        except profiles.ProfileStoreUnavailable as exc:
            logger.warning("profile lookup failed; routing without a profile", extra={"error": str(exc)})
            metrics.add_metric(name="ProfileLookupFailed", unit=MetricUnit.Count, value=1)
            raise LookupFailed(str(exc)) from exc
    return guarded


_lookup = _guarded(profiles.lookup_by_phone)
LOOKUPS = ProfileLookups(by_phone=_lookup, by_email=_guarded(profiles.lookup_by_email),
                         by_customer_id=_guarded(profiles.lookup_by_customer_id))
#: Where the chat-identity secret is (CDK wires it; unset: no signed chat is trusted).
CHAT_SECRET_ENV = "CHAT_IDENTITY_SECRET_ARN"


def _claim_secret() -> bytes:
    secret_id = optional_env(CHAT_SECRET_ENV)
    if secret_id is None:
        raise LookupFailed("no chat-identity secret configured")
    try:
        return secret_bytes(secret_id)
    except SecretUnavailable as exc:
        logger.warning("chat-identity secret unavailable; the chat is routed without a profile",
                       extra={"error": str(exc)})
        metrics.add_metric(name="ChatSecretUnavailable", unit=MetricUnit.Count, value=1)
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
    decision, who = decide(contact, policy, LOOKUPS, utc_now(), settings.default_region, _claim_secret)
    if contact is MALFORMED_CONTACT:
        decision = replace(decision, reason="MALFORMED_EVENT")
    logger.info("routing decision", extra=log_fields(contact, decision, who))
    metrics.add_metric(name="RoutingDecisions", unit=MetricUnit.Count, value=1)
    count_metric("RoutingDecisionsByReason", reason=decision.reason)
    return to_contact_attributes(decision, who, settings.queue_arns)
