"""The outreach records, the cap and the sparse expiry indexes in DynamoDB (moto), created from the models.

The outreach tables are not registered in functions/tables.py yet, so the fixture names and creates
them itself (from the same models CDK will deploy), with the environment variables they will be bound from.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
from moto import mock_aws

from functions.outreach import store as store
from functions.outreach.record import OutreachStatus, new_record
from functions.profiles.profile import CustomerProfile
from functions.profiles.store import ProfileItem, get_profile, save_profiles
from functions.tables import bind_tables

T0 = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
DUE = date(2026, 12, 24)
TABLE_NAMES = {"PROFILES_TABLE_NAME": "test-profiles", "OUTREACH_TABLE_NAME": "test-outreach",
               "OUTREACH_CAPS_TABLE_NAME": "test-outreach-caps"}
MODELS = {"PROFILES_TABLE_NAME": ProfileItem, "OUTREACH_TABLE_NAME": store.OutreachItem,
          "OUTREACH_CAPS_TABLE_NAME": store.ContactCapItem}


@contextmanager
def outreach_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto, credentials and region for it, and the profiles and outreach tables, empty."""
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
                       "POWERTOOLS_TRACE_DISABLED": "true", **TABLE_NAMES}.items():
        monkeypatch.setenv(key, value)
    for env_var, model in MODELS.items():
        monkeypatch.setattr(model.Meta, "table_name", TABLE_NAMES[env_var])
        monkeypatch.setattr(model, "_connection", None)  # forget clients made outside this moto session
    with mock_aws():
        bind_tables()  # once the outreach tables are registered, this is what names them
        for model in MODELS.values():
            model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
        yield
    for model in MODELS.values():
        model._connection = None


@pytest.fixture
def tables(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with outreach_aws(monkeypatch):
        yield


def profile(customer_id: str, **fields: object) -> CustomerProfile:
    defaults: dict[str, object] = {"phone": "+14155550100", "name": "Ada Lovelace", "consent_voice": True}
    return CustomerProfile(customer_id=customer_id, **{**defaults, **fields})  # type: ignore[arg-type]


def planned(customer_id: str = "cust-ada", campaign: str = "warranty-expiry", expires: date = DUE):
    return new_record(customer_id, campaign, expires, OutreachStatus.PLANNED, T0, due_on=T0.date())


# --- the sparse expiry indexes -------------------------------------------------------------------------

def test_the_expiry_indexes_hold_only_profiles_with_the_date_one_bucket_per_day(tables):
    save_profiles([profile("due-1", warranty_expires=DUE), profile("due-2", warranty_expires=DUE),
                   profile("later", warranty_expires=DUE + timedelta(days=1)),
                   profile("plan-only", plan_expires=DUE), profile("no-dates")])
    assert sorted(p.customer_id for p in store.due_profiles("warranty_expires", DUE)) == ["due-1", "due-2"]
    assert [p.customer_id for p in store.due_profiles("plan_expires", DUE)] == ["plan-only"]
    # Sparse: items without the attribute are not in the index at all
    assert sum(1 for _ in ProfileItem.by_warranty_expiry.scan()) == 3
    assert sum(1 for _ in ProfileItem.by_plan_expiry.scan()) == 1


def test_the_index_items_carry_everything_the_planner_decides_on(tables):
    save_profiles([profile("due-1", warranty_expires=DUE, time_zone="America/Chicago", consent_sms=True,
                           opted_out=True, preferred_channel="sms")])
    [found] = store.due_profiles("warranty_expires", DUE)
    assert found == get_profile("due-1")


def test_opting_out_sets_the_flag_and_moves_the_version_on(tables):
    save_profiles([profile("cust-ada", warranty_expires=DUE)])
    before = ProfileItem.get("cust-ada").version
    assert store.opt_out("cust-ada", T0)
    item = ProfileItem.get("cust-ada")
    assert item.opted_out and item.version == (before or 0) + 1
    assert store.fresh_profile("cust-ada").opted_out
    assert not store.opt_out("cust-nobody", T0)
    assert store.fresh_profile("cust-nobody") is None


# --- outreach records ----------------------------------------------------------------------------------

def test_only_the_first_create_of_a_cycle_wins(tables):
    first = store.create_record(planned())
    second = store.create_record(new_record("cust-ada", "warranty-expiry", DUE, OutreachStatus.SKIPPED, T0,
                                            "NO_CONSENT"))
    assert (first.version, second) == (1, None)
    assert store.get_record("cust-ada", first.cycle) == first


def test_a_replace_based_on_a_stale_read_loses(tables):
    stored = store.create_record(planned())
    won = store.replace_record(stored.moved(OutreachStatus.SENDING, T0 + timedelta(seconds=1), channel="voice"),
                               stored)
    lost = store.replace_record(stored.moved(OutreachStatus.SKIPPED, T0 + timedelta(seconds=2), reason="X"), stored)
    assert (won.version, lost) == (2, None)
    assert store.get_record("cust-ada", stored.cycle).status is OutreachStatus.SENDING


def test_the_history_survives_the_round_trip(tables):
    stored = store.create_record(planned())
    sending = store.replace_record(stored.moved(OutreachStatus.SENDING, T0, channel="voice"), stored)
    store.replace_record(sending.moved(OutreachStatus.CONTACTED, T0, channel="voice", note="call-1",
                                       outbound_id="call-1", attempts=1), sending)
    [record] = store.customer_history("cust-ada")
    assert [(e.status.value, e.channel, e.note) for e in record.history] == [
        ("planned", None, None), ("sending", "voice", None), ("contacted", "voice", "call-1")]
    assert (record.answered, record.attempts, record.outbound_id) == (False, 1, "call-1")


def test_the_customers_history_is_every_campaign_and_cycle(tables):
    store.create_record(planned())
    store.create_record(planned(campaign="plan-expiry", expires=date(2026, 12, 1)))
    store.create_record(planned(customer_id="cust-grace"))
    assert sorted(r.cycle for r in store.customer_history("cust-ada")) == [
        "plan-expiry#2026-12-01", "warranty-expiry#2026-12-24"]


def test_the_planning_state_is_one_batch_of_records_and_caps(tables):
    store.create_record(planned("cust-a"))
    assert store.claim_cap("cust-b", "plan-expiry#2026-12-01", T0, 14)
    records, caps = store.planning_state([("cust-a", "warranty-expiry#2026-12-24"),
                                          ("cust-b", "warranty-expiry#2026-12-24"),
                                          ("cust-c", "warranty-expiry#2026-12-24")])
    assert list(records) == [("cust-a", "warranty-expiry#2026-12-24")]
    assert list(caps) == ["cust-b"] and caps["cust-b"].last_cycle == "plan-expiry#2026-12-01"
    assert caps["cust-b"].last_contact_at == T0.replace(microsecond=0)


def test_only_pending_records_are_in_the_due_on_index(tables):
    # Given a planned record and a reminder, both due today, and one for another campaign
    stored = store.create_record(planned("cust-a"))
    reminder = store.create_record(planned("cust-b"))
    store.replace_record(reminder.moved(OutreachStatus.REMIND_LATER, T0, due_on=T0.date() + timedelta(days=3)),
                         reminder)
    store.create_record(planned("cust-c", campaign="plan-expiry"))
    assert [r.customer_id for r in store.pending_records("warranty-expiry", T0.date())] == ["cust-a"]
    assert [r.customer_id for r in store.pending_records("warranty-expiry", T0.date() + timedelta(days=3))] == [
        "cust-b"]
    # When the planned one is claimed, it leaves the index
    store.replace_record(stored.moved(OutreachStatus.SENDING, T0, channel="voice"), stored)
    assert store.pending_records("warranty-expiry", T0.date()) == []


# --- the frequency cap ---------------------------------------------------------------------------------

def test_two_campaigns_cannot_both_claim_a_customer_within_the_cap(tables):
    assert store.claim_cap("cust-ada", "plan-expiry#2026-12-01", T0, 14)
    assert not store.claim_cap("cust-ada", "warranty-expiry#2026-12-24", T0 + timedelta(days=13), 14)
    # The same record may (a retry, a reminder), and anyone may once the cap has passed
    assert store.claim_cap("cust-ada", "plan-expiry#2026-12-01", T0 + timedelta(days=2), 14)
    assert store.claim_cap("cust-ada", "warranty-expiry#2026-12-24", T0 + timedelta(days=17), 14)


def test_a_released_claim_gives_the_previous_contact_back(tables):
    assert store.claim_cap("cust-ada", "plan-expiry#2026-12-01", T0 - timedelta(days=20), 14)
    later = T0
    assert store.claim_cap("cust-ada", "warranty-expiry#2026-12-24", later, 14)
    assert store.release_cap("cust-ada", "warranty-expiry#2026-12-24", later)
    _, caps = store.planning_state([("cust-ada", "x#2026-01-01")])
    assert (caps["cust-ada"].last_cycle, caps["cust-ada"].last_contact_at) == (
        "plan-expiry#2026-12-01", (T0 - timedelta(days=20)).replace(microsecond=0))
    # A release by a record that no longer holds the claim changes nothing
    assert not store.release_cap("cust-ada", "warranty-expiry#2026-12-24", later)


def test_releasing_the_first_ever_claim_leaves_no_contact(tables):
    assert store.claim_cap("cust-ada", "plan-expiry#2026-12-01", T0, 14)
    assert store.release_cap("cust-ada", "plan-expiry#2026-12-01", T0)
    _, caps = store.planning_state([("cust-ada", "x#2026-01-01")])
    assert caps["cust-ada"].last_contact_at is None
    assert store.claim_cap("cust-ada", "warranty-expiry#2026-12-24", T0, 14)
