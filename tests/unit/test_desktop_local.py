"""The agent desktop's local pieces that need no browser: the API adapter's routing and events, the page's
config, and the deployment settings from context."""

from __future__ import annotations

import pytest

from callcenter.api_client import Agent
from callcenter.desktop.server import api_event, match_route
from functions.common.ticket_overview import Status
from functions.desktop.config import desktop_config
from functions.routing.policy import load_policy
from functions.tickets.ticket import CATEGORIES
from infra.constructs.desktop import DesktopSettings


def test_a_request_path_becomes_its_route_template_and_parameters() -> None:
    assert match_route("GET", "/tickets/T261123A1B2C3") == ("/tickets/{ticket_id}", {"ticket_id": "T261123A1B2C3"})
    assert match_route("GET", "/contacts/abc-1/insights") == ("/contacts/{contact_id}/insights",
                                                              {"contact_id": "abc-1"})
    assert match_route("GET", "/tickets/overdue") == ("/tickets/overdue", {})
    assert match_route("DELETE", "/tickets/T1") == ("/tickets/T1", {})  # no such route: the handler says 404


def test_a_request_without_a_known_token_reaches_the_handler_without_claims() -> None:
    anonymous = api_event("POST", "/tickets", "", '{"x": 1', "application/json", None)
    assert anonymous["requestContext"]["authorizer"] is None
    assert anonymous["body"] == '{"x": 1'  # sent as it came: the API says what is wrong with it
    signed_in = api_event("GET", "/customers/cust-ada/tickets", "include_closed=true", None, None,
                          Agent("ana", ("billing",)))
    claims = signed_in["requestContext"]["authorizer"]["claims"]
    assert (claims["cognito:username"], claims["cognito:groups"]) == ("ana", "[team-billing]")
    assert signed_in["queryStringParameters"] == {"include_closed": "true"}
    assert signed_in["pathParameters"] == {"customer_id": "cust-ada"}


def test_the_page_is_told_the_vocabulary_the_api_checks() -> None:
    config = desktop_config(mode="local", api_base="/api", local={"base": "/local"}, queueFigures=None)
    assert config["teams"] == list(load_policy().queues)
    assert config["categories"] == list(CATEGORIES)
    assert config["statuses"] == [s.value for s in Status]
    assert "queueFigures" not in config
    with pytest.raises(ValueError, match="mode"):
        desktop_config(mode="cloud", api_base="/api")


@pytest.mark.parametrize(("settings", "problem"), [
    ({"domain_name": "desk.example.com"}, "go together"),
    ({"domain_name": "desk.example.com",
      "certificate_arn": "arn:aws:acm:eu-west-1:111122223333:certificate/abc"}, "us-east-1"),
    ({"web_acl_arn": "arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/x/y"}, "CLOUDFRONT"),
])
def test_desktop_context_that_cannot_work_is_a_clear_error(settings: dict[str, str], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        DesktopSettings(**settings)
