"""The call path's profile read (functions/profiles/caller_lookup.py, botocore) gives what the profile store's
read (PynamoDB) gives, on the same items, on moto: every field, the screen pop, absent attributes, no match."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime
from typing import Any

import boto3
import pytest

from callcenter.emulators import DynamoDBTraffic
from functions.common.settings import ClientBounds
from functions.profiles import caller_lookup
from functions.profiles import store as profile_store
from functions.profiles.profile import CustomerProfile
from functions.tickets import store as ticket_store
from functions.tickets.service import TicketService
from functions.tickets.ticket import Actor, ActorKind
from tests.conftest import REPO

BOUNDS = ClientBounds(connect_timeout_s=0.5, read_timeout_s=0.8, max_attempts=2)
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
FULL = CustomerProfile(
    "C100", "+14155550110", "Grace Hopper", tier="gold", language="es", time_zone="America/Los_Angeles",
    recent_complaints=3, consent_voice=True, consent_sms=True, consent_surveys=False, opted_out=False,
    preferred_channel="sms", warranty_expires=date(2027, 1, 31), plan_expires=date(2026, 12, 15),
    email="grace@example.com")
BARE = CustomerProfile("C101", "+14155550111", "Alan Kay")


def _both(e164: str) -> tuple[Any, Any]:
    return caller_lookup.lookup_by_phone(e164, BOUNDS), profile_store.find_by_phone(e164)


def test_a_saved_profile_reads_the_same_both_ways(backend: Any) -> None:
    profile_store.save_profiles([FULL, BARE])
    for profile in (FULL, BARE):
        read, stored = _both(profile.phone)
        assert read == stored
        assert read == profile


def test_the_screen_pop_of_open_tickets_reads_the_same_both_ways(backend: Any) -> None:
    profile_store.save_profiles([FULL])
    service = TicketService(("general", "billing"), clock=lambda: NOW, sleep=lambda seconds: None)
    agent = Actor("ana", ActorKind.AGENT, frozenset({"billing"}))
    for priority in (2, 4):
        service.create(agent, customer_id="C100", subject="Charged twice", category="billing", team="billing",
                       priority=priority)
    read, stored = _both(FULL.phone)
    assert read is not None and read.tickets.open_count == 2
    assert read == stored
    assert read.tickets == ticket_store.customer_overview("C100")


def test_an_item_with_attributes_missing_reads_the_same_both_ways(backend: Any) -> None:
    # Written by hand, as an older profile without the later attributes would be stored
    table = backend.function_env["routing"][caller_lookup.TABLE_ENV_VAR]
    boto3.client("dynamodb", region_name="us-east-1").put_item(TableName=table, Item={
        "customer_id": {"S": "C102"}, "phone": {"S": "+14155550112"}, "name": {"S": "Edsger Dijkstra"},
        "recent_complaints": {"N": "1"}, "updated_at": {"S": "2026-11-20T10:00:00.000000+0000"},
        "version": {"N": "1"}})
    read, stored = _both("+14155550112")
    assert read == stored
    assert read is not None and (read.tier, read.recent_complaints, read.tickets.open_count) == ("standard", 1, 0)


def test_the_defaults_an_absent_attribute_reads_as_are_the_models_own() -> None:
    declared = {name: attribute.default() if callable(attribute.default) else attribute.default
                for name, attribute in profile_store.ProfileItem.get_attributes().items()
                if attribute.default is not None}
    assert declared == caller_lookup.ATTRIBUTE_DEFAULTS


def test_an_unknown_number_is_no_profile_both_ways(backend: Any) -> None:
    profile_store.save_profiles([FULL])
    assert _both("+14155550199") == (None, None)


def test_a_throttled_table_is_unavailable_with_its_error_code_after_the_bounded_attempts(backend: Any) -> None:
    profile_store.save_profiles([FULL])
    DynamoDBTraffic.reset()
    DynamoDBTraffic.throttle = True
    try:
        with pytest.raises(caller_lookup.ProfileStoreUnavailable, match=r"^ProvisionedThroughputExceededException$"):
            caller_lookup.lookup_by_phone(FULL.phone, BOUNDS)
    finally:
        DynamoDBTraffic.throttle = False
    assert DynamoDBTraffic.calls == {"Query": 1}
    assert DynamoDBTraffic.attempts == BOUNDS.max_attempts


def test_the_routing_handler_loads_neither_pynamodb_nor_pydantic() -> None:
    # The reason this module exists: the call path's cold start (benchmarks/cold_start_benchmark.py)
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, functions.routing.handler; "
                               "print(sorted({m.split('.')[0] for m in sys.modules} & {'pynamodb', 'pydantic'}))"],
        cwd=REPO, capture_output=True, text=True, check=True,
        env={"PATH": "", "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_TRACE_DISABLED": "true"})
    assert loaded.stdout.strip() == "[]"


def test_a_chats_lookups_and_the_recent_contacts_read_the_same_both_ways(backend: Any) -> None:
    # A chat names its customer by a signed id (GetItem) or a typed address (by_email); the screen pop shows the
    # recent contacts the contact-history function keeps on the profile
    from functions.common.contact_history import RecentContact

    profile_store.save_profiles([FULL, BARE])
    entry = RecentContact(contact_id="chat-1", channel="CHAT", at=NOW, queue="billing", reason="SKILL_MATCH")
    assert profile_store.record_recent_contact("C100", entry, NOW)
    by_id = caller_lookup.lookup_by_customer_id("C100", BOUNDS)
    assert by_id == profile_store.get_profile("C100")
    assert by_id is not None and [c.contact_id for c in by_id.recent_contacts] == ["chat-1"]
    by_email = caller_lookup.lookup_by_email("grace@EXAMPLE.com", BOUNDS)
    assert by_email == profile_store.lookup_by_email("grace@example.com") == by_id
    assert caller_lookup.lookup_by_customer_id("C999", BOUNDS) is None
    assert caller_lookup.lookup_by_email("nobody@example.com", BOUNDS) is None
