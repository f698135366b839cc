"""Setting and resetting a customer's phone PIN through the agents' API (PUT /customers/{id}/pin), as the
caller-verification Lambda then checks it. Real handler, real tables (moto)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.common.observability import logger
from functions.profiles.pin import pin_matches
from functions.profiles.profile import CustomerProfile
from functions.profiles.store import pin_record, record_pin_failure, save_profiles
from tests.integration.test_ticket_api import NOW, TicketApi, opened

PIN_ROUTE = "/customers/{customer_id}/pin"


@pytest.fixture
def api(backend: Any) -> TicketApi:
    save_profiles([CustomerProfile("cust-ada", "+14155550100", "Ada Lovelace"),
                   CustomerProfile("cust-grace", "+12125550175", "Grace Hopper")])
    backend.now = NOW
    return TicketApi(backend)


def set_pin(api: TicketApi, pin: Any, customer_id: str = "cust-ada", **options: Any):
    return api.call("PUT", PIN_ROUTE, {"pin": pin}, customer_id=customer_id, **options)


def test_a_supervisor_sets_a_pin_stored_only_as_a_salted_hash(api: TicketApi) -> None:
    reply = set_pin(api, "2468", agent="sue", groups="[supervisors]")
    assert (reply.status, reply.body) == (200, {"customer_id": "cust-ada", "pin_set": True})
    record = pin_record("cust-ada")
    assert record.pin_hash and "2468" not in record.pin_hash and pin_matches("2468", record.pin_hash)
    set_pin(api, "2468", customer_id="cust-grace", agent="sue", groups="[supervisors]")
    assert pin_record("cust-grace").pin_hash != record.pin_hash  # another salt


def test_an_agent_of_a_team_handling_the_customers_ticket_may_reset_it_and_the_lock_is_lifted(api: TicketApi) -> None:
    # Given Ada has a billing ticket and her PIN was locked by wrong tries
    opened(api)
    set_pin(api, "2468", agent="sue", groups="[supervisors]")
    record_pin_failure("cust-ada", limit=1, locked_until=NOW)
    assert pin_record("cust-ada").locked_until is not None
    # When an agent of billing resets it
    reply = set_pin(api, "97531", groups="[team-billing]")
    # Then the new PIN holds and the lock and count are gone
    record = pin_record("cust-ada")
    assert reply.status == 200 and pin_matches("97531", record.pin_hash)
    assert (record.failures, record.locked_until) == (0, None)


def test_an_agent_of_another_team_and_a_service_caller_may_not_set_a_pin(api: TicketApi) -> None:
    opened(api)  # a billing ticket
    assert set_pin(api, "2468", groups="[team-sales]").status == 403
    assert set_pin(api, "2468", service=True).status == 403
    assert pin_record("cust-ada").pin_hash is None


@pytest.mark.parametrize("pin", ["123", "123456789", "12a4", "", 2468, None, "\uff12\uff14\uff16\uff18"])
def test_a_pin_that_is_not_4_to_8_digits_is_a_422_and_nothing_is_stored(api: TicketApi, pin: Any) -> None:
    reply = set_pin(api, pin, agent="sue", groups="[supervisors]")
    assert reply.status == 422 and "pin" in reply.message
    assert pin_record("cust-ada").pin_hash is None


def test_an_unknown_customer_is_a_404(api: TicketApi) -> None:
    assert set_pin(api, "2468", customer_id="cust-nobody", agent="sue", groups="[supervisors]").status == 404


def test_the_pin_is_in_no_log_line_and_no_answer(api: TicketApi, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO")
    reply = set_pin(api, "86420", agent="sue", groups="[supervisors]")
    bad = set_pin(api, "8642x", agent="sue", groups="[supervisors]")
    output = "\n".join(logger.registered_formatter.format(record) for record in caplog.records)
    assert "86420" not in output and "8642x" not in output
    assert "86420" not in json.dumps(reply.body) and "8642x" not in json.dumps(bad.body)
