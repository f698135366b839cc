"""Policy/flow consistency checks, on flow documents (no synthesis, so not marked infra)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from flowlang.flow import flow_files, load_flow
from functions.routing.policy import DEFAULT_PRIORITY, load_policy
from infra.flow_checks import FlowPolicyMismatch, policy_problems, require_consistent


@pytest.fixture
def inbound() -> dict[str, Any]:
    return copy.deepcopy(load_flow(flow_files()["inbound"]))


def test_the_flow_files_agree_with_the_policy() -> None:
    require_consistent({name: load_flow(path) for name, path in flow_files().items()}, load_policy())


def test_every_priority_the_policy_uses_has_a_branch(inbound: dict[str, Any]) -> None:
    # Given an inbound flow without the branches that set the policy's priorities
    policy = load_policy()
    inbound["Actions"] = [a for a in inbound["Actions"] if a["Type"] != "UpdateContactRoutingBehavior"]
    # Then each priority other than Connect's default is reported
    problems = policy_problems("inbound", inbound, policy)
    expected = sorted(policy.priorities_used - {DEFAULT_PRIORITY})
    assert expected
    assert [p for p in problems if "QueuePriority" in p] == [
        f"inbound: the policy routes with priority {p} but no UpdateContactRoutingBehavior sets QueuePriority {p}"
        for p in expected
    ]


def test_a_menu_intent_the_policy_does_not_know_is_reported(inbound: dict[str, Any]) -> None:
    action = next(a for a in inbound["Actions"] if a["Identifier"] == "intent-sales")
    action["Parameters"]["Attributes"]["intent"] = "saels"
    problems = policy_problems("inbound", inbound, load_policy())
    assert len(problems) == 1
    assert "'saels'" in problems[0]


def test_intents_copied_from_the_lambda_response_are_not_checked(inbound: dict[str, Any]) -> None:
    # "$.External.intent" is whatever the routing function returned, not a menu choice
    assert policy_problems("inbound", inbound, load_policy()) == []


def test_a_missing_inbound_flow_is_reported() -> None:
    with pytest.raises(FlowPolicyMismatch, match="no 'inbound' flow"):
        require_consistent({}, load_policy())
