"""The live-sentiment consumer: Contact Lens segment records (and Contact Lens rule matches) in, hints for the agent
and alerts for the supervisors out, once per contact and rule.

Per batch, records are taken per contact in stream order (Kinesis keeps a contact's records, partition key
ContactId, in order on one shard). For each contact: one Query loads its state, context and the rules that already
have a hint (functions/sentiment/store.py); its records are applied in order (functions/sentiment/evaluator.py);
each rule that fires is announced, then recorded:

1. an alert is published to the supervisors' SNS topic (only for a rule whose `alert` holds for this caller);
2. the hint (kind `alert` or `hint`) is written with a condition that it is the contact's first for the rule.

The hint is the record that a rule fired: a redelivered record finds it and announces nothing. **At most once**
holds except in one window: the consumer stopping (crash, timeout) after the SNS publish returned and before the
hint write landed, one DynamoDB put (milliseconds); a redelivery then publishes that alert again. Recording first
would close it but could lose the alert instead. The two consumers (stream and rule matches) can also both pass
the check for the same phrase rule within that same window.

Failures: a record that fails (the topic or the table did not answer) is reported with its sequence number (or
message id) with every later record of the same contact, and the contact's state is saved as it was before that
record, so the retry re-applies it and nothing is lost; records of other contacts go on. A record that can never
be read (no contact id, not JSON) is counted, logged without content, and not retried.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Protocol

import msgspec

from functions.common.observability import count_metric, logger
from functions.insights.hint import Kind
from functions.insights.store import record_new_hint
from functions.sentiment import store
from functions.sentiment.evaluator import (
    ContactState,
    Firing,
    apply_turns,
    match_contact_lens,
    summarize,
)
from functions.sentiment.rules import RuleBook
from functions.sentiment.segments import SegmentRecord, UnreadableRecord, read_record


class SupervisorAlert(msgspec.Struct, frozen=True, kw_only=True):
    """What the supervisors' topic carries: no name, no number, no words of the caller's."""

    contact_id: str
    rule: str
    team: str
    severity: str
    text: str
    at: datetime
    tier: str | None


class AlertPublisher(Protocol):
    def publish(self, alert: SupervisorAlert) -> None: ...


class AlertNotPublished(Exception):
    """The supervisors' topic did not take the alert; the record is retried."""


class SnsAlertPublisher:
    """Publishes each alert to the SNS topic named by SUPERVISOR_ALERTS_TOPIC_ARN (bounded client, built lazily)."""

    def __init__(self, topic_arn: str, client: Any | None = None) -> None:
        self.topic_arn = topic_arn
        self._client = client

    def _sns(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            self._client = boto3.client("sns", config=Config(connect_timeout=1, read_timeout=2,
                                                             retries={"total_max_attempts": 3, "mode": "standard"}))
        return self._client

    def publish(self, alert: SupervisorAlert) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._sns().publish(
                TopicArn=self.topic_arn, Subject=f"Contact alert: {alert.rule}"[:100],
                Message=msgspec.json.encode(alert).decode(),
                MessageAttributes={"team": {"DataType": "String", "StringValue": alert.team},
                                   "severity": {"DataType": "String", "StringValue": alert.severity}})
        except (BotoCoreError, ClientError) as exc:
            raise AlertNotPublished(type(exc).__name__) from exc


class Delivery(msgspec.Struct, frozen=True):
    """One record of a batch: its id for batchItemFailures and what it says (None: unreadable)."""

    item_id: str
    record: SegmentRecord | None
    contact_id: str | None


def kinesis_delivery(raw: dict[str, Any], max_chars: int) -> Delivery:
    kinesis = raw.get("kinesis") or {}
    item_id = str(kinesis.get("sequenceNumber", ""))
    try:
        record = read_record(base64.b64decode(kinesis.get("data", ""), validate=False), max_chars)
    except (UnreadableRecord, ValueError) as exc:
        logger.warning("segment record skipped: unreadable", extra={"sequence_number": item_id, "why": str(exc)})
        count_metric("SentimentRecordsUnreadable")
        return Delivery(item_id, None, None)
    return Delivery(item_id, record, record.contact_id)


def rule_match_delivery(raw: dict[str, Any]) -> Delivery:
    """An SQS message holding EventBridge's "Contact Lens Realtime Rules Matched" event."""
    item_id = str(raw.get("messageId", ""))
    try:
        event = json.loads(raw.get("body") or "")
        detail = event.get("detail") or {}
        contact = detail.get("contactArn") or detail.get("contactId") or ""
        contact_id = str(contact).rsplit("/", 1)[-1]
        names = [n for n in (detail.get("actionName"), detail.get("ruleName")) if isinstance(n, str)]
        record = read_record({"ContactId": contact_id, "Channel": detail.get("channel") or "VOICE",
                              "EventType": "SEGMENTS", "Segments": [{"Categories": {"MatchedCategories": names[:1]}}]})
    except (ValueError, AttributeError, UnreadableRecord) as exc:
        logger.warning("rule match skipped: unreadable", extra={"message_id": item_id, "why": type(exc).__name__})
        count_metric("SentimentRecordsUnreadable")
        return Delivery(item_id, None, None)
    return Delivery(item_id, record, record.contact_id)


class SentimentConsumer:
    def __init__(self, book: RuleBook, publisher: AlertPublisher, *, default_team: str,
                 now: Callable[[], datetime]) -> None:
        self.book, self.publisher, self.default_team, self.now = book, publisher, default_team, now

    def process(self, deliveries: Iterable[Delivery]) -> list[str]:
        """Apply the batch; the item ids that failed (to retry), in batch order."""
        by_contact: dict[str, list[Delivery]] = {}
        for delivery in deliveries:
            if delivery.contact_id is not None:
                by_contact.setdefault(delivery.contact_id, []).append(delivery)
        failed: list[str] = []
        for contact_id, batch in by_contact.items():
            failed += self._contact(contact_id, batch)
        return failed

    def _contact(self, contact_id: str, batch: list[Delivery]) -> list[str]:
        try:
            loaded = store.load_contact(contact_id)
        except Exception as exc:  # the table did not answer: retry the contact's records
            logger.warning("contact state not read; its records will be retried",
                           extra={"contact_id": contact_id, "why": type(exc).__name__})
            return [d.item_id for d in batch]
        state = loaded.state
        failed: list[str] = []
        for index, delivery in enumerate(batch):
            before = msgspec.json.encode(state)
            try:
                self._apply(contact_id, delivery.record, loaded, state)  # type: ignore[arg-type]
            except Exception as exc:  # any failure: retry from this record, in order
                logger.warning("segment record failed; it and the contact's later records will be retried",
                               extra={"contact_id": contact_id, "item": delivery.item_id, "why": type(exc).__name__})
                count_metric("SentimentRecordsFailed")
                state = msgspec.json.decode(before, type=ContactState)
                failed = [d.item_id for d in batch[index:]]
                break
        try:
            store.save_state(contact_id, state, self.now())
        except Exception as exc:  # hints are recorded; the retry re-derives the state
            logger.warning("contact state not saved; its records will be retried",
                           extra={"contact_id": contact_id, "why": type(exc).__name__})
            return [d.item_id for d in batch]
        if state.skipped:
            logger.info("segments skipped", extra={"contact_id": contact_id, "skipped": state.skipped})
        return failed

    def _apply(self, contact_id: str, record: SegmentRecord, loaded: store.LoadedContact,
               state: ContactState) -> None:
        for reason, count in record.skipped.items():
            state.skip(reason, count)
        firings = apply_turns(self.book, state, record.turns)
        if record.categories:
            firings += match_contact_lens(self.book, state, record.categories)
        for firing in firings:
            self._fire(contact_id, firing, loaded)
        if record.event_type in ("COMPLETED", "FAILED") and not loaded.summarized:
            state.ended = record.event_type
            summary = summarize(self.book, state, record.event_type)
            team = loaded.context.team if loaded.context else None
            store.save_summary(contact_id, team or self.default_team, summary, self.now())
            loaded.summarized = True
            count_metric("SentimentSummaries")

    def _fire(self, contact_id: str, firing: Firing, loaded: store.LoadedContact) -> None:
        rule = firing.rule
        if rule.id in loaded.hinted:
            count_metric("SentimentRepeatsSuppressed")
            return  # announced before (a redelivery, or the other consumer): once per contact and rule
        context = loaded.context or store.ContactContext()
        team = context.team or self.default_team
        alert = rule.alert.alerts(context.tier, context.complaints)
        text = self.book.hint_text(rule)
        at = self.now()
        if alert:
            self.publisher.publish(SupervisorAlert(contact_id=contact_id, rule=rule.id, team=team,
                                                   severity=rule.severity.value, text=text, at=at, tier=context.tier))
        # The record: from here on a redelivery announces nothing. The window between the publish above and this
        # write is the only one in which a crash repeats an alert.
        record_new_hint(contact_id, rule.id, text, team=team, at=at, kind=Kind.ALERT if alert else Kind.HINT,
                        severity=rule.severity)
        loaded.hinted.add(rule.id)
        count_metric("SentimentAlerts" if alert else "SentimentHints")
