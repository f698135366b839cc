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


def test_a_service_caller_is_its_iam_principal() -> None:
    event = load_event("tickets/api_service_create_ticket")
    actor = identify(event)
    assert actor.kind is ActorKind.SERVICE
    assert actor.id == event["requestContext"]["identity"]["userArn"]


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
