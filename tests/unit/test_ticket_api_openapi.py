"""The committed OpenAPI document is the one the code generates (it cannot drift from the models)."""

from __future__ import annotations

import json
import subprocess
import sys

from functions.tickets.api import openapi, routes
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
