"""The survey contact flow (infra/flows/survey.json) in the simulator: keys, wrong keys, silence, failures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from flowlang.flow import Placeholder, flow_files, load_flow, placeholders, substitute
from flowlang.lint import LintContext, lint_flow
from flowlang.prompts import LOCALIZED_KINDS, load_catalogs, localize, written_id
from flowlang.simulator import CallResult, ContactStart, LambdaInvocationError, run_flow
from functions.manifest import FUNCTIONS

NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
SURVEYED_CONTACT = "3f1c2b4a-7d8e-4f90-a1b2-c3d4e5f60718"
SURVEY_ATTRIBUTES = {"survey_contact_id": SURVEYED_CONTACT, "survey_customer_id": "cust-ada",
                     "survey_queue_arn": "q", "survey_agent_arn": "a"}


def fake_arn(placeholder: Placeholder) -> str:
    return f"arn:aws:lambda:fake:{placeholder.kind}/{placeholder.name}"


SURVEY = substitute(localize(load_flow(flow_files()["survey"])), fake_arn)
ANSWERS_ARN = fake_arn(Placeholder("lambda", "survey-answers"))


@dataclass
class SurveyCallEnvironment:
    """Only the survey-answers Lambda exists; it records what it was given."""

    fail: str | None = None  # "error" | "timeout"
    received: list[dict[str, str]] = field(default_factory=list)

    def invoke_lambda(self, function_arn: str, event: dict[str, Any], time_limit_seconds: float) -> Any:
        assert function_arn == ANSWERS_ARN
        if self.fail:
            raise LambdaInvocationError(self.fail, "injected")  # type: ignore[arg-type]
        self.received.append(dict(event["Details"]["Parameters"]))
        return {"recorded": "true", "followup": "false", "reason": "RECORDED"}

    def queue_name(self, queue_arn: str) -> str | None:
        return None

    def hours_open(self, queue_arn: str | None, hours_id: str | None, at: datetime) -> bool:
        raise LookupError("the survey flow checks no hours")

    def queue_at_capacity(self, queue_arn: str) -> bool:
        return False


def survey_call(env: SurveyCallEnvironment, *keys: str | None, attributes: dict[str, str] | None = None
                ) -> CallResult:
    start = ContactStart(contact_id="outbound-1", initiation_method="API", customer_address="+14155550100",
                         attributes=SURVEY_ATTRIBUTES if attributes is None else attributes, now=NOW)
    return run_flow(SURVEY, start, env, keys, flow_name="survey")


def test_the_survey_flow_lints_clean_against_the_manifest():
    context = LintContext(lambda_timeouts={name: spec.timeout_seconds for name, spec in FUNCTIONS.items()},
                          known_placeholders={Placeholder("lambda", name) for name in FUNCTIONS}
                          | load_catalogs().placeholders())
    flow = load_flow(flow_files()["survey"])
    assert lint_flow(flow, "survey", context) == []
    resources = {p for p in placeholders(flow) if p.kind not in LOCALIZED_KINDS}
    assert resources == {Placeholder("lambda", "survey-answers")}


@pytest.mark.parametrize(("keys", "score", "resolved"), [
    (("4", "1"), "4", "1"),
    (("1", "2"), "1", "2"),
    (("0", "5", "2"), "5", "2"),  # a wrong key, the question again, then the answer
    ((None, "3", "1"), "3", "1"),  # silence, the question again, then the answer
    (("7", None, "1"), "none", "1"),  # a wrong key then silence: no score, on to the next question
    ((None, None, None, None), "none", "none"),  # silence throughout
    (("#", "#", "#", "#"), "none", "none"),
    (("5", "9", "1"), "5", "1"),
    (("5", "9", "9"), "5", "none"),
])
def test_the_answers_reach_the_lambda_and_the_call_ends_with_thanks(keys, score, resolved):
    env = SurveyCallEnvironment()
    result = survey_call(env, *keys)
    assert env.received == [{"survey_contact_id": SURVEYED_CONTACT, "score": score, "resolved": resolved}]
    assert result.outcome == "disconnected"
    assert result.prompts[-1].startswith("Thank you for your feedback")
    assert (result.attributes["survey_score"], result.attributes["survey_resolved"]) == (score, resolved)


def test_each_question_is_asked_at_most_twice():
    result = survey_call(SurveyCallEnvironment(), "#", "#", "#", "#")
    # the prompts asked, named as the flow file names them (without their language copy's suffix)
    asked = [written_id(step.action_id) for step in result.steps if step.action_type == "GetParticipantInput"]
    assert asked == ["ask-score", "ask-score-again", "ask-resolved", "ask-resolved-again"]


@pytest.mark.parametrize("kind", ["error", "timeout"])
def test_a_failing_lambda_still_ends_the_call_politely(kind):
    result = survey_call(SurveyCallEnvironment(fail=kind), "2", "2")
    assert result.outcome == "disconnected"
    assert result.prompts[-1] == "Thank you for your time. Goodbye."


def test_a_call_without_the_survey_contact_attribute_ends_politely_without_invoking_the_lambda():
    env = SurveyCallEnvironment()
    result = survey_call(env, "3", "1", attributes={})
    assert env.received == []
    assert (result.outcome, result.prompts[-1]) == ("disconnected", "Thank you for your time. Goodbye.")
