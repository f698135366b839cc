"""How the ticket API answers when the service refuses or fails, without a table: the service is a stub."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.common.observability import logger
from functions.common.ticket_overview import Status
from functions.tickets import api
from functions.tickets.ticket import TicketStoreUnavailable, TransitionNotAllowed, VersionConflict
from tests.conftest import load_event


class FailingService:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def get(self, *args: Any, **kwargs: Any) -> Any:
        raise self.error


def answer(monkeypatch: pytest.MonkeyPatch, error: Exception) -> tuple[int, dict[str, Any], dict[str, Any]]:
    monkeypatch.setattr(api, "_service", lambda: FailingService(error))
    response = api.app.resolve(load_event("tickets/api_get_ticket"), None)
    return response["statusCode"], json.loads(response["body"]), dict(response["multiValueHeaders"])


def test_a_bug_is_a_500_that_quotes_nothing(monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    status, body, _ = answer(monkeypatch, KeyError("Ada Lovelace +14155550100"))
    assert (status, body["error"]) == (500, "internal_error")
    assert "Ada" not in json.dumps(body)
    logged = "\n".join(logger.registered_formatter.format(record) for record in caplog.records)
    assert "KeyError" in logged and "api.py" in logged  # the kind and the place of the bug
    assert "Ada" not in logged and "4155550100" not in logged


def test_a_store_that_does_not_answer_is_a_503_with_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    status, body, headers = answer(monkeypatch, TicketStoreUnavailable("ProvisionedThroughputExceededException"))
    assert (status, body["error"], headers["Retry-After"]) == (503, "store_unavailable", ["2"])


def test_conflicts_carry_what_the_caller_needs_to_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    status, body, _ = answer(monkeypatch, VersionConflict("T261123A1B2C3", 1, 4))
    assert (status, body["current_version"]) == (409, 4)
    status, body, _ = answer(monkeypatch, TransitionNotAllowed(Status.CLOSED, Status.OPEN))
    assert (status, body["current_status"], body["allowed"]) == (409, "closed", [])
    assert "closed is final" in body["message"]
