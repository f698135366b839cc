"""Who is calling the ticket API: Cognito claims make an agent, IAM under /service makes a service caller."""

from __future__ import annotations

import pytest

from functions.tickets.api import NotAuthenticated, identify, is_service_path, parse_groups
from functions.tickets.ticket import Actor, ActorKind
from tests.conftest import load_event


@pytest.mark.parametrize(("claim", "groups"), [
    ("[team-billing supervisors]", {"team-billing", "supervisors"}),
    ("team-billing,supervisors", {"team-billing", "supervisors"}),
    ("team-billing, team-sales", {"team-billing", "team-sales"}),
    ("team-billing", {"team-billing"}),
    (["team-billing", "supervisors"], {"team-billing", "supervisors"}),
    ("[]", set()),
    ("", set()),
    (None, set()),
    (42, set()),
])
def test_the_groups_claim_is_read_in_every_shape_api_gateway_sends(claim: object, groups: set[str]) -> None:
    assert parse_groups(claim) == groups


def test_an_agent_is_named_by_the_token_with_teams_from_groups() -> None:
    event = load_event("tickets/api_get_ticket")
    event["requestContext"]["authorizer"]["claims"]["cognito:groups"] = "[team-billing team-sales other team-]"
    assert identify(event) == Actor("ana", ActorKind.AGENT, frozenset({"billing", "sales"}), supervisor=False)


def test_a_supervisor() -> None:
    event = load_event("tickets/api_get_ticket")
    event["requestContext"]["authorizer"]["claims"]["cognito:groups"] = "supervisors"
    actor = identify(event)
    assert actor.supervisor and actor.teams == frozenset()


def test_an_access_token_names_the_user_in_username() -> None:
    event = load_event("tickets/api_get_ticket")
    claims = event["requestContext"]["authorizer"]["claims"]
    claims["username"] = claims.pop("cognito:username")
    assert identify(event).id == "ana"


def test_a_service_caller_is_recorded_as_its_role_without_the_session_name() -> None:
    # Given a call signed with a session of the role callcenter-survey-answers
    event = load_event("tickets/api_service_create_ticket")
    assert event["requestContext"]["identity"]["userArn"] == (
        "arn:aws:sts::123456789012:assumed-role/callcenter-survey-answers/callcenter-survey-answers")
    # Then the actor is the role, and the session name is not part of it
    actor = identify(event)
    assert actor.kind is ActorKind.SERVICE
    assert actor.id == "arn:aws:sts::123456789012:assumed-role/callcenter-survey-answers"


def test_a_session_name_the_caller_chose_does_not_reach_the_audit_label() -> None:
    # Given two sessions of the same role, one named to look like a supervisor
    honest, spoofed = load_event("tickets/api_service_create_ticket"), load_event("tickets/api_service_create_ticket")
    spoofed["requestContext"]["identity"]["userArn"] = (
        "arn:aws:sts::123456789012:assumed-role/callcenter-survey-answers/supervisor-ana")
    # Then both are the same actor, and the history label does not carry the chosen name
    assert identify(honest) == identify(spoofed)
    assert "supervisor-ana" not in identify(spoofed).label


@pytest.mark.parametrize("user_arn", [
    "arn:aws:iam::123456789012:user/ticket-sync",  # an IAM user: no session to drop
    "arn:aws:iam::123456789012:root",
    "arn:aws-us-gov:iam::123456789012:user/ops/ticket-sync",
])
def test_a_principal_without_a_session_is_recorded_as_api_gateway_names_it(user_arn: str) -> None:
    event = load_event("tickets/api_service_create_ticket")
    event["requestContext"]["identity"]["userArn"] = user_arn
    assert identify(event).id == user_arn


def test_an_assumed_role_of_another_partition_keeps_its_partition() -> None:
    event = load_event("tickets/api_service_create_ticket")
    event["requestContext"]["identity"]["userArn"] = "arn:aws-cn:sts::123456789012:assumed-role/sync/i-0abc"
    assert identify(event).id == "arn:aws-cn:sts::123456789012:assumed-role/sync"


@pytest.mark.parametrize(("change", "says"), [
    (lambda e: e["requestContext"].pop("authorizer"), "sign in"),
    (lambda e: e["requestContext"]["authorizer"].update(claims={}), "sign in"),
    (lambda e: e["requestContext"]["authorizer"]["claims"].pop("cognito:username"), "names no user"),
    (lambda e: e["requestContext"]["authorizer"]["claims"].update({"cognito:username": "  "}), "names no user"),
    (lambda e: e.update(path="/service/tickets/T261123A1B2C3"), "not an agent token"),
    (lambda e: e.pop("requestContext"), "sign in"),
])
def test_agent_requests_without_a_usable_token_are_refused(change, says: str) -> None:
    event = load_event("tickets/api_get_ticket")
    change(event)
    with pytest.raises(NotAuthenticated, match=says):
        identify(event)


@pytest.mark.parametrize(("change", "says"), [
    (lambda e: e.update(path="/tickets", resource="/tickets"), "IAM callers use /service"),
    (lambda e: e["requestContext"]["identity"].update(userArn=None), "signed with IAM"),
    (lambda e: e["requestContext"].update(identity=None), "signed with IAM"),
])
def test_service_requests_without_iam_or_off_the_service_prefix_are_refused(change, says: str) -> None:
    event = load_event("tickets/api_service_create_ticket")
    change(event)
    with pytest.raises(NotAuthenticated, match=says):
        identify(event)


@pytest.mark.parametrize(("path", "service"), [
    ("/service/tickets", True), ("/service", True), ("/servicetickets", False), ("/tickets", False),
    ("/tickets/service", False), (None, False), ("", False),
])
def test_only_the_service_prefix_makes_a_service_path(path: str | None, service: bool) -> None:
    assert is_service_path(path) is service
