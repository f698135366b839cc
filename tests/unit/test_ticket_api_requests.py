"""How the ticket API reads a request (functions/tickets/api_contract.py), without a table: every problem of a
bad request is reported at once, nothing reaches the service, and the function serves without pydantic."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from typing import Any

import pytest

from functions.common.ticket_overview import Status
from functions.tickets import api
from functions.tickets.ticket import TicketNotFound
from tests.conftest import REPO, load_event


class UntouchableService:
    """The service a refused request must never reach."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the service was called ({name}) for a request that should have been refused")


@pytest.fixture(autouse=True)
def no_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "_service", UntouchableService)


def status_change(body: Any, *, ticket_id: str = "T261123A1B2C3", content_type: str = "application/json",
                  base64_body: bytes | None = None) -> dict[str, Any]:
    event = load_event("tickets/api_change_status")
    event["path"] = event["path"].replace("T261123A1B2C3", ticket_id)
    event["pathParameters"] = {"ticket_id": ticket_id}
    event["headers"]["Content-Type"] = content_type
    event["multiValueHeaders"]["Content-Type"] = [content_type]
    if base64_body is not None:
        event.update(body=base64.b64encode(base64_body).decode(), isBase64Encoded=True)
    else:
        event.update(body=body if body is None or isinstance(body, str) else json.dumps(body), isBase64Encoded=False)
    return event


def send(event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = api.app.resolve(event, None)
    return response["statusCode"], json.loads(response["body"])


def test_a_body_with_three_problems_gets_three_detail_entries() -> None:
    # Given a status change with a wrong status, no expected_version and a misspelt field
    status, body = send(status_change({"status": "done", "sttus": "resolved", "note": "n"}))
    # Then one 422 names each problem, in the model's field order, then the unknown field
    assert (status, body["error"]) == (422, "validation_error")
    assert [(d["loc"], d["type"]) for d in body["detail"]] == [
        (["body", "status"], "invalid"), (["body", "expected_version"], "missing"),
        (["body", "sttus"], "extra_forbidden")]
    assert body["detail"][0]["msg"].startswith("body.status: Invalid enum value 'done'; expected one of 'open'")
    assert body["message"] == "; ".join(d["msg"] for d in body["detail"])


def test_path_and_body_problems_are_reported_together() -> None:
    status, body = send(status_change({"status": "resolved", "expected_version": 0}, ticket_id="T" * 41))
    assert status == 422
    assert [d["loc"] for d in body["detail"]] == [["path", "ticket_id"], ["body", "expected_version"]]
    assert body["detail"][1]["msg"] == "body.expected_version: Expected `int` >= 1"


@pytest.mark.parametrize(("value", "says"), [
    ("1", "Expected `int`, got `str`"),  # strict: no string to number
    (True, "Expected `int`, got `bool`"),
    (1.0, "Expected `int`, got `float`"),
    (2**31, "Expected `int` <= 2147483647"),  # bounded, so WAF's body limit has a largest request
    (10**40, "Expected `int` <= 2147483647"),
])
def test_a_version_must_be_a_bounded_integer(value: Any, says: str) -> None:
    status, body = send(status_change({"status": "resolved", "expected_version": value}))
    assert (status, body["detail"][0]["msg"]) == (422, f"body.expected_version: {says}")


@pytest.mark.parametrize(("event", "status", "code"), [
    (status_change('{"status": "resolved", "expected_version": 1'), 400, "malformed_json"),
    (status_change(None, base64_body=b"\xff\xfe not utf-8"), 400, "malformed_json"),
    (status_change("status=resolved&expected_version=1", content_type="application/x-www-form-urlencoded"),
     415, "unsupported_content_type"),
    (status_change({"status": "resolved", "expected_version": 1}, content_type="text/plain"), 415,
     "unsupported_content_type"),
    (status_change(["resolved", 1]), 422, "validation_error"),
    (status_change(None), 422, "validation_error"),
    (status_change(""), 422, "validation_error"),
])
def test_a_body_that_cannot_be_read_is_a_4xx_never_a_500(event: dict[str, Any], status: int, code: str) -> None:
    assert (lambda s, b: (s, b["error"]))(*send(event)) == (status, code)


def test_a_body_sent_base64_encoded_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    # API Gateway passes some bodies base64-encoded: decoded, checked, and handed to the service as values
    calls = []

    class Service:
        def change_status(self, *args: Any, **kwargs: Any) -> Any:
            calls.append(args[1:])
            raise TicketNotFound("no ticket T261123A1B2C3")

    monkeypatch.setattr(api, "_service", Service)
    event = status_change(None, base64_body=json.dumps({"status": "resolved", "expected_version": 7}).encode())
    assert send(event)[0] == 404
    assert calls == [("T261123A1B2C3", Status.RESOLVED, 7)]


def test_an_anonymous_caller_gets_401_before_the_body_is_looked_at() -> None:
    event = status_change('{"not json')
    del event["requestContext"]["authorizer"]
    status, body = send(event)
    assert (status, body["error"], "detail" in body) == (401, "not_authenticated", False)


def test_a_query_parameter_is_checked() -> None:
    event = load_event("tickets/api_get_ticket")
    event.update(resource="/customers/{customer_id}/tickets", path="/customers/cust-ada/tickets",
                 pathParameters={"customer_id": "cust-ada"}, queryStringParameters={"include_closed": "maybe"})
    status, body = send(event)
    assert (status, body["detail"][0]["loc"], body["detail"][0]["type"]) == (422, ["query", "include_closed"],
                                                                               "invalid")


COLD_REQUEST = """
import json, sys
from functions.tickets import api_handler
loaded = set(sys.modules)
from functions.common.ticket_overview import Status
from functions.tickets import api
from functions.tickets.ticket import TicketNotFound
from functions.tickets.service import Created
from functions.tickets.ticket import open_ticket
from functions.common.clock import utc_now

class Service:  # the store is not what is measured here: the request is read, the answer encoded
    def create(self, actor, **fields):
        return Created(open_ticket(actor=actor, now=utc_now(), **fields), True)

api._service = Service
event = json.load(open("events/tickets/api_create_ticket.json"))
response = api_handler.app.resolve(event, None)
after = set(sys.modules)
print(json.dumps({"status": response["statusCode"], "ticket": json.loads(response["body"]),
                  "at_import": sorted(loaded), "after_request": sorted(after)}))
"""
# The only openapi modules a resolver without validation loads: Powertools' api_gateway imports them itself
# (constants, exception classes, types); none of them imports pydantic.
RESOLVER_OWN_OPENAPI = {"aws_lambda_powertools.event_handler.openapi." + name
                        for name in ("config", "constants", "exceptions", "merge", "types")}


def test_a_cold_start_and_its_first_request_load_no_pydantic_and_no_request_validation() -> None:
    printed = subprocess.run([sys.executable, "-c", COLD_REQUEST], cwd=REPO, check=True, capture_output=True,
                             text=True, env={"PATH": "", "AWS_DEFAULT_REGION": "us-east-1",
                                             "POWERTOOLS_TRACE_DISABLED": "true"})
    result = json.loads(printed.stdout)
    assert (result["status"], result["ticket"]["customer_id"], result["ticket"]["status"]) == (201, "cust-ada", "open")
    for modules in (result["at_import"], result["after_request"]):
        assert not [m for m in modules if m == "pydantic" or m.startswith(("pydantic.", "pydantic_core"))]
        openapi = {m for m in modules if m.startswith("aws_lambda_powertools.event_handler.openapi.")}
        assert openapi <= RESOLVER_OWN_OPENAPI, openapi - RESOLVER_OWN_OPENAPI
        assert "aws_lambda_powertools.event_handler.middlewares.openapi_validation" not in modules
