"""Post-call surveys and follow-ups in DynamoDB: the PynamoDB models and the only queries on them.

Key design
- One `SurveyItem` per ended contact, keyed by the contact id. Creating it is a conditional put
  (attribute_not_exists), which is what makes "at most one survey per contact" hold however often
  the same contact event is delivered: the record is the business fact and the idempotency key.
  It also records contacts that are not surveyed (abandoned, no consent, ...) and why.
- Every later change is conditional on what the writer last read (status, updated_at and the
  optimistic-lock `version`), so two dispatchers can never both move the same survey forward.
- `by_customer` (customer_id, created_at) answers "was this customer surveyed recently?" with one
  Query over the cooldown window, newest first. It projects every attribute so the Query can keep
  only the statuses that count (a skipped or abandoned contact is not a survey). Records without a
  customer (abandoned, unknown callers) are not in the index at all.
- `FollowUpItem` is the follow-up a low score opens; the tickets feature adopts these records. It
  is written in the same transaction as the answers, keyed by the survey's contact id, so an
  answer never exists without its follow-up and a follow-up is never opened twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute, VersionAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from functions.storage.claims import ClaimStore
from functions.storage.errors import STORE_ERRORS, condition_failed, store_error_code
from functions.surveys.record import (
    SURVEYED_STATUSES,
    FollowUp,
    FollowUpReason,
    SurveyRecord,
    SurveyStatus,
    SurveyStoreUnavailable,
)


class SurveysByCustomer(GlobalSecondaryIndex["SurveyItem"]):
    class Meta:
        index_name = "by_customer"
        projection = AllProjection()

    customer_id = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class SurveyItem(Model):
    class Meta:
        table_name = "surveys"  # bound at run time from table_env_var (functions/storage/tables.py)
        table_env_var = "SURVEYS_TABLE_NAME"
        billing_mode = "PAY_PER_REQUEST"

    contact_id = UnicodeAttribute(hash_key=True)
    # abandoned | skipped | delayed | dispatching | dispatched | answered | failed
    status = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)  # why skipped / delayed / failed, a code such as NO_CONSENT
    customer_id = UnicodeAttribute(null=True)
    channel = UnicodeAttribute(null=True)  # voice | sms
    agent_arn = UnicodeAttribute(null=True)
    queue_arn = UnicodeAttribute(null=True)
    outbound_id = UnicodeAttribute(null=True)  # the survey call's contact id or the SMS message id
    not_before = UTCDateTimeAttribute(null=True)  # a delayed survey comes due (quiet hours)
    score = NumberAttribute(null=True)  # 1-5
    resolved = UnicodeAttribute(null=True)  # yes | no
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()

    by_customer = SurveysByCustomer()


class FollowUpsByCustomer(GlobalSecondaryIndex["FollowUpItem"]):
    class Meta:
        index_name = "by_customer"
        projection = AllProjection()

    customer_id = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class FollowUpItem(Model):
    class Meta:
        table_name = "followups"  # bound at run time from table_env_var (functions/storage/tables.py)
        table_env_var = "FOLLOWUPS_TABLE_NAME"
        billing_mode = "PAY_PER_REQUEST"

    followup_id = UnicodeAttribute(hash_key=True)
    customer_id = UnicodeAttribute()
    contact_id = UnicodeAttribute()
    reason = UnicodeAttribute()  # LOW_SCORE | NOT_RESOLVED
    status = UnicodeAttribute(default="open")
    score = NumberAttribute(null=True)
    agent_arn = UnicodeAttribute(null=True)
    queue_arn = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    version = VersionAttribute()

    by_customer = FollowUpsByCustomer()


# --- mapping ---------------------------------------------------------------------------------------

def to_record(item: SurveyItem) -> SurveyRecord:
    return SurveyRecord(
        contact_id=item.contact_id,
        status=SurveyStatus(item.status),
        created_at=item.created_at,
        updated_at=item.updated_at,
        reason=item.reason,
        customer_id=item.customer_id,
        channel=item.channel,
        agent_arn=item.agent_arn,
        queue_arn=item.queue_arn,
        outbound_id=item.outbound_id,
        not_before=item.not_before,
        score=int(item.score) if item.score is not None else None,
        resolved=item.resolved,
        version=item.version,
    )


def to_item(record: SurveyRecord, version: int | None = None) -> SurveyItem:
    """The item for `record`; `version` is the stored version a conditional write expects (None: none yet)."""
    item = SurveyItem(
        record.contact_id,
        status=record.status.value,
        reason=record.reason,
        customer_id=record.customer_id or None,  # never "" (an index key)
        channel=record.channel,
        agent_arn=record.agent_arn,
        queue_arn=record.queue_arn,
        outbound_id=record.outbound_id,
        not_before=record.not_before,
        score=record.score,
        resolved=record.resolved,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )
    if version is not None:
        item.version = version
    return item


def followup_item(followup: FollowUp) -> FollowUpItem:
    return FollowUpItem(
        followup.followup_id,
        customer_id=followup.customer_id,
        contact_id=followup.contact_id,
        reason=followup.reason.value,
        score=followup.score,
        agent_arn=followup.agent_arn,
        queue_arn=followup.queue_arn,
        created_at=followup.created_at,
    )


def to_followup(item: FollowUpItem) -> FollowUp:
    return FollowUp(
        followup_id=item.followup_id,
        customer_id=item.customer_id,
        contact_id=item.contact_id,
        reason=FollowUpReason(item.reason),
        created_at=item.created_at,
        score=int(item.score) if item.score is not None else None,
        agent_arn=item.agent_arn,
        queue_arn=item.queue_arn,
    )


# --- errors ----------------------------------------------------------------------------------------

def _unavailable(exc: Exception) -> SurveyStoreUnavailable:
    return SurveyStoreUnavailable(store_error_code(exc))


# --- queries ---------------------------------------------------------------------------------------

_CLAIMS = ClaimStore(SurveyItem, to_record, to_item, SurveyStoreUnavailable)


def get_survey(contact_id: str) -> SurveyRecord | None:
    """The contact's survey record (strongly consistent: it decides who may claim it), or None."""
    return _CLAIMS.get(contact_id)


def create_survey(record: SurveyRecord) -> SurveyRecord | None:
    """Write the first record of a contact; None when the contact already has one (the claim is lost)."""
    return _CLAIMS.create(record)


def replace_survey(record: SurveyRecord, expected: SurveyRecord) -> SurveyRecord | None:
    """Overwrite the contact's record if it is still exactly `expected` (status, updated_at, version).

    Returns the record as stored, or None when anyone changed it since `expected` was read (that
    writer won).
    """
    return _CLAIMS.replace(record, expected)


def last_survey_at(customer_id: str, since: datetime, excluding_contact: str) -> datetime | None:
    """When the customer was last surveyed (or has a survey under way) since `since`; one Query."""
    try:
        for item in SurveyItem.by_customer.query(
            customer_id,
            SurveyItem.created_at >= since,
            filter_condition=SurveyItem.status.is_in(*(s.value for s in SURVEYED_STATUSES)),
            scan_index_forward=False,
        ):
            if item.contact_id != excluding_contact:
                return item.created_at
    except STORE_ERRORS as exc:
        raise _unavailable(exc) from exc
    return None


def record_answers(
    survey: SurveyRecord,
    *,
    score: int | None,
    resolved: str | None,
    answered_at: datetime,
    followup: FollowUp | None,
) -> bool:
    """Store the answers once: only if the survey is still as read (dispatched, same version).

    With a follow-up, the answers and the follow-up are one transaction. False when the survey had
    changed (answered by a concurrent or repeated invocation).
    """
    item = to_item(survey, version=survey.version)
    actions = [
        SurveyItem.status.set(SurveyStatus.ANSWERED.value),
        SurveyItem.updated_at.set(answered_at),
    ]
    actions.append(SurveyItem.score.set(score) if score is not None else SurveyItem.score.remove())
    actions.append(SurveyItem.resolved.set(resolved) if resolved is not None else SurveyItem.resolved.remove())
    condition = SurveyItem.status == survey.status.value
    return _update_with_followup(item, actions, condition, followup)



def _update_with_followup(item: SurveyItem, actions: list[Any], condition: Any, followup: FollowUp | None) -> bool:
    """The survey's conditional update, with its follow-up created in the same transaction when there is one
    (never twice: the follow-up must not exist yet). False when the condition no longer holds."""
    try:
        if followup is None:
            item.update(actions=actions, condition=condition)
        else:
            connection = SurveyItem._get_connection().connection
            with TransactWrite(connection=connection) as transaction:
                transaction.update(item, actions=actions, condition=condition)
                transaction.save(followup_item(followup), condition=FollowUpItem.followup_id.does_not_exist())
    except STORE_ERRORS as exc:
        if condition_failed(exc):
            return False
        raise _unavailable(exc) from exc
    return True

def get_followup(followup_id: str) -> FollowUp | None:
    try:
        return to_followup(FollowUpItem.get(followup_id))
    except FollowUpItem.DoesNotExist:
        return None
    except STORE_ERRORS as exc:
        raise _unavailable(exc) from exc


# --- SMS survey replies (functions/surveys/sms_replies.py) ------------------------------------------

def sms_surveys_of(customer_id: str, since: datetime, limit: int = 5) -> list[SurveyRecord]:
    """The customer's SMS surveys created since `since`, newest first: one Query on `by_customer`."""
    try:
        return [to_record(item) for item in SurveyItem.by_customer.query(
            customer_id, SurveyItem.created_at >= since, filter_condition=SurveyItem.channel == "sms",
            scan_index_forward=False, limit=limit)]
    except STORE_ERRORS as exc:
        raise _unavailable(exc) from exc


def record_resolution(survey: SurveyRecord, *, resolved: str, answered_at: datetime,
                      followup: FollowUp | None) -> bool:
    """Store the answer to the second question of an SMS survey, once: only if the survey is still as read
    (answered, no resolution yet, same version); with its follow-up in the same transaction. False otherwise."""
    item = to_item(survey, version=survey.version)
    actions = [SurveyItem.resolved.set(resolved), SurveyItem.updated_at.set(answered_at)]
    condition = (SurveyItem.status == SurveyStatus.ANSWERED.value) & SurveyItem.resolved.does_not_exist()
    return _update_with_followup(item, actions, condition, followup)
