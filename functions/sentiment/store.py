"""The live-sentiment consumer's items, in the insights table beside the contact's hints (one partition per contact).

Range keys (all after every rule name, `~`..., so the hint reads skip them: functions/insights/store.py):
- `~context`: the caller's tier, recent complaints and the contact's queue (the team whose agents see its hints),
  written once per contact after routing by the flow's asynchronous `sentiment-context` call.
- `~state`: the contact's ContactState between batches (the caller's latest turn ids, offsets and scores: never
  what was said).
- `~summary`: the sentiment summary once the analysis ended (COMPLETED or FAILED), kept SUMMARY_EXPIRY for the
  contact-record KPIs (joined by contact id; analytics/sql/sentiment.sql).

`load_contact` reads the whole partition in one Query: the state, the context and the rules that already have a
hint (the record that a rule fired, whatever happened to the state since). Context and state expire with the
hints (EXPIRY, 12 h); the summary after SUMMARY_EXPIRY.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import msgspec
from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from functions.insights.hint import EXPIRY, InsightStoreUnavailable
from functions.insights.store import RESERVED_PREFIX, TTL_ATTRIBUTE
from functions.sentiment.evaluator import ContactState, SentimentSummary
from functions.storage.errors import STORE_ERRORS, store_error_code

CONTEXT_KEY = f"{RESERVED_PREFIX}context"
STATE_KEY = f"{RESERVED_PREFIX}state"
SUMMARY_KEY = f"{RESERVED_PREFIX}summary"
SUMMARY_EXPIRY = timedelta(days=90)


class SentimentItem(Model):
    """The consumer's view of the insights table: the same keys; hint items read back with `body` None."""

    class Meta:
        table_name = "insights"  # bound at run time from table_env_var, as InsightItem
        table_env_var = "INSIGHTS_TABLE_NAME"
        ttl_attribute = TTL_ATTRIBUTE

    contact_id = UnicodeAttribute(hash_key=True)
    rule = UnicodeAttribute(range_key=True)
    body = UnicodeAttribute(null=True)  # JSON: the context, state or summary
    at = UTCDateTimeAttribute(null=True)
    expires_at = NumberAttribute(null=True)


class ContactContext(msgspec.Struct, frozen=True, kw_only=True):
    team: str | None = None
    tier: str | None = None
    complaints: int = 0


class StoredSummary(msgspec.Struct, frozen=True, kw_only=True):
    contact_id: str
    team: str | None
    at: datetime
    summary: SentimentSummary


class LoadedContact(msgspec.Struct, kw_only=True):
    state: ContactState
    context: ContactContext | None
    hinted: set[str]  # rules with a hint already recorded for this contact
    summarized: bool


def _unavailable(exc: Exception) -> InsightStoreUnavailable:
    return InsightStoreUnavailable(f"insights table: {store_error_code(exc)}")


def _save(contact_id: str, key: str, body: Any, at: datetime, expiry: timedelta) -> None:
    item = SentimentItem(contact_id, key, body=msgspec.json.encode(body).decode(), at=at,
                         expires_at=int((at + expiry).timestamp()))
    try:
        item.save()
    except STORE_ERRORS as exc:
        raise _unavailable(exc) from exc


def load_contact(contact_id: str) -> LoadedContact:
    """The contact's state, context and hinted rules: one Query."""
    state, context, hinted, summarized = ContactState(), None, set(), False
    try:
        for item in SentimentItem.query(contact_id):
            if item.rule == STATE_KEY and item.body:
                state = msgspec.json.decode(item.body, type=ContactState)
            elif item.rule == CONTEXT_KEY and item.body:
                context = msgspec.json.decode(item.body, type=ContactContext)
            elif item.rule == SUMMARY_KEY:
                summarized = True
            elif not item.rule.startswith(RESERVED_PREFIX):
                hinted.add(item.rule)
    except STORE_ERRORS as exc:
        raise _unavailable(exc) from exc
    return LoadedContact(state=state, context=context, hinted=hinted, summarized=summarized)


def save_state(contact_id: str, state: ContactState, at: datetime) -> None:
    _save(contact_id, STATE_KEY, state, at, EXPIRY)


def save_context(contact_id: str, context: ContactContext, at: datetime) -> None:
    _save(contact_id, CONTEXT_KEY, context, at, EXPIRY)


def save_summary(contact_id: str, team: str | None, summary: SentimentSummary, at: datetime) -> None:
    _save(contact_id, SUMMARY_KEY, StoredSummary(contact_id=contact_id, team=team, at=at, summary=summary), at,
          SUMMARY_EXPIRY)


def summaries() -> list[StoredSummary]:
    """Every stored summary (a scan: the local runtime's lake export and tests, never a handler)."""
    found = []
    for item in SentimentItem.scan(SentimentItem.rule == SUMMARY_KEY):
        if item.body:
            found.append(msgspec.json.decode(item.body, type=StoredSummary))
    return sorted(found, key=lambda s: (s.at, s.contact_id))
