"""The committed OpenAPI document is the one the code generates (it cannot drift from the models)."""

from __future__ import annotations

import json
import subprocess
import sys

from functions.tickets.api import DECLARED_ROUTES, openapi, routes
from tests.conftest import REPO

DOCUMENT = REPO / "docs" / "api" / "tickets-openapi.json"


def test_the_committed_document_is_what_the_code_generates() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == openapi(), (
        "regenerate it: .venv/bin/python -m functions.tickets.api > docs/api/tickets-openapi.json")


def test_the_document_lists_every_route_with_its_error_answers() -> None:
    document = json.loads(openapi())
    listed = sorted(((method.upper(), path) for path, item in document["paths"].items() for method in item),
                    key=lambda r: (r[1], r[0]))
    assert listed == routes()
    change = document["paths"]["/tickets/{ticket_id}/status"]["post"]
    assert {"401", "403", "404", "409", "422", "503"} <= set(change["responses"])
    request = document["components"]["schemas"]["StatusChangeRequest"]
    assert set(request["required"]) == {"status", "expected_version"}


def test_the_module_prints_the_document() -> None:
    printed = subprocess.run([sys.executable, "-m", "functions.tickets.api"], cwd=REPO, check=True,
                             capture_output=True, text=True, env={"PATH": "", "AWS_DEFAULT_REGION": "us-east-1"})
    assert printed.stdout == DOCUMENT.read_text(encoding="utf-8")


def test_the_routes_the_handler_labels_requests_with_are_the_documented_ones() -> None:
    # api_handler.route_label reads DECLARED_ROUTES, so a cold start's first request builds no OpenAPI document
    assert len(set(DECLARED_ROUTES)) == len(DECLARED_ROUTES)
    assert sorted(DECLARED_ROUTES) == sorted(routes())


COLD_REQUEST = """
import json, sys
from functions.tickets import api_handler
event = json.load(open("events/tickets/api_create_ticket.json"))
body = json.loads(event["body"])
body["priority"] = "high"
event["body"] = json.dumps(body)
class Context:
    function_name, memory_limit_in_mb, aws_request_id = "ticket-api", 512, "cold"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ticket-api"
response = api_handler.app.resolve(event, Context())
print(response["statusCode"], api_handler.route_label(event),
      "aws_lambda_powertools.event_handler.openapi.models" in sys.modules)
"""


def test_a_cold_start_and_its_first_request_load_no_openapi_document_models() -> None:
    # Powertools' 54 OpenAPI pydantic models are for writing the document (openapi()), not for serving requests
    printed = subprocess.run([sys.executable, "-c", COLD_REQUEST], cwd=REPO, check=True, capture_output=True,
                             text=True, env={"PATH": "", "AWS_DEFAULT_REGION": "us-east-1",
                                             "POWERTOOLS_TRACE_DISABLED": "true"})
    assert printed.stdout.split() == ["422", "POST", "/tickets", "False"]
