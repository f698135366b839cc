"""Live hints and alerts in DynamoDB: the `insights` table, and the only reads and writes of it.

Key design
- `InsightItem`: hash key `contact_id`, range key `rule`: one item per hint, so recording a rule's hint again
  is a plain put of the same key (idempotent per contact and rule, never a second entry) and a contact's hints
  are one Query.
- `expires_at` (epoch seconds) is the table's TTL attribute: DynamoDB deletes a hint some time after it
  expires, and reads skip an expired one that is still there (TTL deletion can lag by days).
- `alerts_by_team` (alert_team, at): a sparse index holding only alerts (`alert_team` is set for kind
  "alert"), for the supervisor view's list of a team's recent alerts.
- The live-sentiment consumer keeps its own items for a contact in the same partition, under range keys that start
  with `~` (after every rule name: functions/sentiment/store.py); the hint reads here stop before them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from functions.insights.hint import (
    EXPIRY,
    Hint,
    InsightStoreUnavailable,
    Kind,
    Severity,
    new_hint,
)
from functions.storage.errors import STORE_ERRORS, condition_failed, store_error_code

TTL_ATTRIBUTE = "expires_at"
#: Range keys from here on are not hints (functions/sentiment/store.py); every rule name sorts before it.
RESERVED_PREFIX = "~"
MAX_ALERTS = 50


class AlertsByTeam(GlobalSecondaryIndex["InsightItem"]):
    class Meta:
        index_name = "alerts_by_team"
        projection = AllProjection()

    alert_team = UnicodeAttribute(hash_key=True)
    at = UTCDateTimeAttribute(range_key=True)


class InsightItem(Model):
    class Meta:
        table_name = "insights"  # bound at run time from table_env_var (functions/storage/tables.py)
        table_env_var = "INSIGHTS_TABLE_NAME"
        billing_mode = "PAY_PER_REQUEST"
        ttl_attribute = TTL_ATTRIBUTE  # read by infra/constructs/tables.py (TimeToLiveSpecification)

    contact_id = UnicodeAttribute(hash_key=True)
    rule = UnicodeAttribute(range_key=True)
    team = UnicodeAttribute()
    text = UnicodeAttribute()
    kind = UnicodeAttribute()
    severity = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    expires_at = NumberAttribute()  # epoch seconds: the TTL attribute
    alert_team = UnicodeAttribute(null=True)  # set only for alerts: the sparse alerts_by_team index
    alerts_by_team = AlertsByTeam()


def _to_hint(item: InsightItem) -> Hint:
    return Hint(item.contact_id, item.rule, item.team, item.text, Kind(item.kind), Severity(item.severity),
                item.at)


def _unavailable(exc: Exception) -> InsightStoreUnavailable:
    return InsightStoreUnavailable(f"insights table: {store_error_code(exc)}")


def save_hint(hint: Hint, *, only_new: bool = False) -> bool:
    """Store the hint, replacing the same contact's hint of the same rule (idempotent). `only_new`: store it only
    if the contact has no hint of that rule yet; False when it had one (nothing written)."""
    item = InsightItem(
        hint.contact_id, hint.rule, team=hint.team, text=hint.text, kind=hint.kind.value,
        severity=hint.severity.value, at=hint.at, expires_at=int(hint.expires_at.timestamp()),
        alert_team=hint.team if hint.kind is Kind.ALERT else None)
    try:
        item.save(condition=InsightItem.rule.does_not_exist() if only_new else None)
    except STORE_ERRORS as exc:
        if only_new and condition_failed(exc):
            return False
        raise _unavailable(exc) from exc
    return True


def record_hint(contact_id: str, rule: str, text: str, *, team: str, at: datetime,
                kind: Kind | str = Kind.HINT, severity: Severity | str = Severity.INFO) -> Hint:
    """The write API for the live-sentiment consumer: one hint (or alert) for a live contact, by rule.

    Recording the same contact and rule again replaces the earlier hint (same inputs, same stored item).
    Raises InvalidHint for a field that cannot be stored, InsightStoreUnavailable when the table fails.
    """
    hint = new_hint(contact_id, rule, team, text, at, kind=kind, severity=severity)
    save_hint(hint)
    return hint


def record_new_hint(contact_id: str, rule: str, text: str, *, team: str, at: datetime,
                    kind: Kind | str = Kind.HINT, severity: Severity | str = Severity.INFO) -> bool:
    """As record_hint, but only the first hint of a contact and rule is stored: True when this one was."""
    return save_hint(new_hint(contact_id, rule, team, text, at, kind=kind, severity=severity), only_new=True)


def _live(hint: Hint, now: datetime) -> bool:
    return hint.expires_at > now


def contact_hints(contact_id: str, now: datetime) -> list[Hint]:
    """The contact's hints that have not expired, oldest first (one Query)."""
    try:
        hints = [_to_hint(item) for item in InsightItem.query(contact_id, InsightItem.rule < RESERVED_PREFIX)]
    except STORE_ERRORS as exc:
        raise _unavailable(exc) from exc
    return sorted((h for h in hints if _live(h, now)), key=lambda h: (h.at, h.rule))


def team_alerts(team: str, now: datetime, limit: int = MAX_ALERTS) -> list[Hint]:
    """The team's alerts that have not expired, newest first (one Query on the sparse index)."""
    try:
        items = InsightItem.alerts_by_team.query(team, InsightItem.at > now.astimezone(UTC) - EXPIRY,
                                                 scan_index_forward=False, limit=limit)
        hints = [_to_hint(item) for item in items]
    except STORE_ERRORS as exc:
        raise _unavailable(exc) from exc
    return [h for h in hints if _live(h, now)]
