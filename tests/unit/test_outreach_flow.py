"""The outreach contact flow (infra/flows/outreach.json) in the simulator: keys 1, 2, 9, wrong keys, silence, failures.

The environment is a fake (as in tests/flows/test_flowlang_simulator.py): the outreach-response and routing
Lambdas are Python functions, queues a dict of ARN -> name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from flowlang.flow import Placeholder, flow_files, load_flow, placeholders, substitute
from flowlang.lint import LintContext, lint_flow
from flowlang.prompts import LOCALIZED_KINDS, load_catalogs, localize, written_id
from flowlang.simulator import CallResult, ContactStart, LambdaInvocationError, run_flow
from functions.manifest import FUNCTIONS
from functions.routing.policy import load_policy

NOW = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
MESSAGE = "Hello, this is a courtesy call from customer care. Your warranty expires on Thursday, December 24, 2026."
ATTRIBUTES = {"outreach_customer_id": "cust-ada", "outreach_campaign": "warranty-expiry",
              "outreach_expires": "2026-12-24", "outreach_round": "1", "outreach_message": MESSAGE}


def fake_arn(placeholder: Placeholder) -> str:
    return f"arn:aws:lambda:fake:{placeholder.kind}/{placeholder.name}"


OUTREACH = substitute(localize(load_flow(flow_files()["outreach"])), fake_arn)
RESPONSE_ARN = fake_arn(Placeholder("lambda", "outreach-response"))
ROUTING_ARN = fake_arn(Placeholder("lambda", "routing"))
QUEUES = {fake_arn(Placeholder("queue", name)): name for name in ("general", "sales")}
SALES_ARN = fake_arn(Placeholder("queue", "sales"))
CONFIRMATIONS = {"remind_later": "Thank you. We will call you again on Friday, November 27, 2026. Goodbye.",
                 "stop": "You will not receive these calls from us again. Thank you, and goodbye."}


def routed_to_sales(priority: str = "5") -> dict[str, str]:
    """What the routing Lambda answers for intent "renewal" once the policy has its rule."""
    return {"customer_id": "cust-ada", "queue": "sales", "queue_arn": SALES_ARN, "priority": priority,
            "reason": "RENEWAL", "rule": "renewal", "routing_note": "rule renewal", "intent": "renewal"}


@dataclass
class OutreachCallEnvironment:
    routing: Callable[[dict[str, Any]], Any] | None = None  # None: routes to sales
    response_fails: str | None = None  # "error" | "timeout"
    closed: set[str] = field(default_factory=set)
    full: set[str] = field(default_factory=set)
    responses: list[dict[str, str]] = field(default_factory=list)  # Parameters the outreach-response Lambda got
    routings: list[dict[str, str]] = field(default_factory=list)

    def invoke_lambda(self, function_arn: str, event: dict[str, Any], time_limit_seconds: float) -> Any:
        parameters = dict(event["Details"]["Parameters"])
        if function_arn == ROUTING_ARN:
            self.routings.append(parameters)
            return (self.routing or (lambda _: routed_to_sales()))(event)
        assert function_arn == RESPONSE_ARN
        if self.response_fails:
            raise LambdaInvocationError(self.response_fails, "injected")  # type: ignore[arg-type]
        self.responses.append(parameters)
        action = parameters["action"]
        return {"recorded": "true", "reason": "RECORDED", "confirmation": CONFIRMATIONS.get(action, "")}

    def queue_name(self, queue_arn: str) -> str | None:
        return QUEUES.get(queue_arn)

    def hours_open(self, queue_arn: str | None, hours_id: str | None, at: datetime) -> bool:
        return QUEUES[queue_arn or ""] not in self.closed

    def queue_at_capacity(self, queue_arn: str) -> bool:
        return QUEUES.get(queue_arn) in self.full


def outreach_call(env: OutreachCallEnvironment, *keys: str | None, attributes: dict[str, str] | None = None
                  ) -> CallResult:
    start = ContactStart(contact_id="outreach-call-1", initiation_method="API", customer_address="+14155550100",
                         attributes=ATTRIBUTES if attributes is None else attributes, now=NOW)
    return run_flow(OUTREACH, start, env, keys, flow_name="outreach")


def actions(env: OutreachCallEnvironment) -> list[str]:
    return [parameters["action"] for parameters in env.responses]


def test_the_outreach_flow_lints_clean_once_its_function_is_in_the_manifest():
    # Given the manifest's functions plus the outreach-response function the lead adds (4 s, like survey-answers)
    timeouts = {name: spec.timeout_seconds for name, spec in FUNCTIONS.items()} | {"outreach-response": 4}
    known = {Placeholder("lambda", name) for name in timeouts} | {
        Placeholder("queue", name) for name in load_policy().queues} | load_catalogs().placeholders()
    flow = load_flow(flow_files()["outreach"])
    # Then it is clean, and it names only these resources
    assert lint_flow(flow, "outreach", LintContext(lambda_timeouts=timeouts, known_placeholders=known)) == []
    resources = {p for p in placeholders(flow) if p.kind not in LOCALIZED_KINDS}
    assert resources == {Placeholder("lambda", "outreach-response"), Placeholder("lambda", "routing"),
                                  Placeholder("queue", "general")}


def test_the_customer_hears_what_expires_and_when_and_the_answer_is_recorded_first():
    env = OutreachCallEnvironment()
    result = outreach_call(env, None, None)
    assert result.prompts[0] == MESSAGE
    assert env.responses[0] == {"action": "answered", "customer_id": "cust-ada", "campaign_id": "warranty-expiry",
                                "expires": "2026-12-24"}


def test_key_1_routes_to_an_agent_through_the_routing_lambda_with_intent_renewal():
    env = OutreachCallEnvironment()
    result = outreach_call(env, "1")
    assert env.routings == [{"stage": "intent", "intent": "renewal"}]
    assert (result.outcome, result.queue) == ("queued", "sales")
    assert (result.attributes["intent"], result.attributes["reason"]) == ("renewal", "RENEWAL")
    assert actions(env) == ["answered"]


@pytest.mark.parametrize(("priority", "expected"), [("1", 1), ("2", 2), ("3", 3), ("4", 4), ("5", None)])
def test_the_renewal_keeps_the_priority_routing_gives(priority, expected):
    result = outreach_call(OutreachCallEnvironment(routing=lambda _: routed_to_sales(priority=priority)), "1")
    assert (result.queue, result.priority) == ("sales", expected)


@pytest.mark.parametrize("failure", ["error", "timeout"])
def test_when_routing_fails_the_customer_still_reaches_the_general_queue(failure):
    def failing(event: dict[str, Any]) -> Any:
        raise LambdaInvocationError(failure, "injected")  # type: ignore[arg-type]

    result = outreach_call(OutreachCallEnvironment(routing=failing), "1")
    assert (result.outcome, result.queue, result.attributes["reason"]) == ("queued", "general", "ROUTING_FALLBACK")


def test_an_answer_without_a_queue_falls_back_to_the_general_queue():
    result = outreach_call(OutreachCallEnvironment(routing=lambda _: {"queue": "sales"}), "1")
    assert (result.outcome, result.queue) == ("queued", "general")


def test_a_full_renewals_queue_overflows_to_general_and_a_full_general_gets_a_polite_message():
    assert outreach_call(OutreachCallEnvironment(full={"sales"}), "1").queue == "general"
    result = outreach_call(OutreachCallEnvironment(full={"sales", "general"}), "1")
    assert (result.outcome, result.prompts[-1]) == ("disconnected", (
        "All of our agents are busy right now. Please call us when it suits you to renew. Thank you, and goodbye."))


def test_a_closed_renewals_team_is_said_politely():
    result = outreach_call(OutreachCallEnvironment(closed={"sales"}), "1")
    assert result.outcome == "disconnected"
    assert result.prompts[-1].startswith("Our renewals team is not available right now.")


def test_key_2_asks_for_a_reminder_and_confirms_the_day():
    env = OutreachCallEnvironment()
    result = outreach_call(env, "2")
    assert actions(env) == ["answered", "remind_later"]
    assert (result.outcome, result.prompts[-1]) == ("disconnected", CONFIRMATIONS["remind_later"])


def test_key_9_stops_the_calls_and_confirms():
    env = OutreachCallEnvironment()
    result = outreach_call(env, "9")
    assert actions(env) == ["answered", "stop"]
    assert (result.outcome, result.prompts[-1]) == ("disconnected", CONFIRMATIONS["stop"])


@pytest.mark.parametrize(("keys", "expected"), [
    (("7", "9"), ["answered", "stop"]),  # a wrong key, "not an option", the menu again, then 9
    ((None, "2"), ["answered", "remind_later"]),  # silence, the menu again, then 2
])
def test_one_reprompt_after_a_wrong_key_or_silence(keys, expected):
    env = OutreachCallEnvironment()
    result = outreach_call(env, *keys)
    assert actions(env) == expected
    # the prompts asked, named as the flow file names them (without their language copy's suffix)
    asked = [written_id(step.action_id) for step in result.steps if step.action_type == "GetParticipantInput"]
    assert asked == ["offer", "offer-again"]


@pytest.mark.parametrize("keys", [("7", "8"), (None, None), ("#", None)])
def test_no_choice_after_the_reprompt_ends_politely_and_changes_nothing(keys):
    env = OutreachCallEnvironment()
    result = outreach_call(env, *keys)
    assert actions(env) == ["answered"]
    assert (result.outcome, result.prompts[-1]) == (
        "disconnected", "We did not get a choice, so nothing changes. Thank you for your time, and goodbye.")


@pytest.mark.parametrize(("failure", "key"), [("error", "9"), ("timeout", "9"), ("error", "2")])
def test_a_failing_response_lambda_still_plays_the_message_and_ends_politely(failure, key):
    result = outreach_call(OutreachCallEnvironment(response_fails=failure), key)
    assert result.prompts[0] == MESSAGE
    assert (result.outcome, result.prompts[-1]) == ("disconnected", (
        "Sorry, we could not save your choice right now. Please call us to update your preferences. Goodbye."))


@pytest.mark.parametrize("key", ["2", "9"])
def test_an_answer_without_a_confirmation_still_thanks_the_customer(key):
    env = OutreachCallEnvironment()
    env.invoke_lambda = lambda arn, event, limit: {"recorded": "true", "reason": "RECORDED", "confirmation": ""}
    result = outreach_call(env, key)
    assert (result.outcome, result.prompts[-1]) == ("disconnected", "Thank you for letting us know. Goodbye.")


def test_when_routing_fails_after_hours_the_customer_hears_that_the_team_is_closed():
    def failing(event: dict[str, Any]) -> Any:
        raise LambdaInvocationError("error", "injected")

    result = outreach_call(OutreachCallEnvironment(routing=failing, closed={"general"}), "1")
    assert result.outcome == "disconnected"
    assert result.prompts[-1].startswith("Our renewals team is not available right now.")


def test_a_call_without_the_outreach_attributes_still_makes_sense():
    env = OutreachCallEnvironment()
    result = outreach_call(env, "1", attributes={})
    assert env.responses == []  # nothing to record without the customer and campaign
    assert result.prompts[0].startswith("Hello, this is a courtesy call from customer care about a renewal")
    assert result.queue == "sales"
