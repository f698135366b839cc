"""A survey answered by SMS, with the carrier delivering the same reply to several sms-inbound instances at once:
real threads against a DynamoDB that serializes requests (conftest.serial_dynamodb), so the instances' reads and
conditional writes interleave as they would on AWS. Exactly one records each answer; the rest are duplicates,
texted nothing; one follow-up, whatever the rounds' interleaving."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from functions.common.events import InMemoryPublisher
from functions.sms.handler import DynamoDBSmsSurveys
from functions.surveys import store as survey_store
from functions.surveys.policy import load_survey_policy
from functions.surveys.record import SurveyRecord, SurveyStatus
from functions.surveys.sms_replies import SmsReplyReason, SmsSurveyReplies
from functions.surveys.store import FollowUpItem

SENT = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
REPLIED = SENT + timedelta(minutes=5)
INSTANCES = 6
ROUNDS = 5


def deliver_at_once(replies: SmsSurveyReplies, customer_id: str, text: str) -> list[SmsReplyReason]:
    barrier = threading.Barrier(INSTANCES)

    def instance(_: int) -> SmsReplyReason:
        barrier.wait(timeout=30)
        result = replies.answer_by_sms(customer_id, text)
        assert result is not None
        return result.reason

    with ThreadPoolExecutor(max_workers=INSTANCES) as pool:
        return list(pool.map(instance, range(INSTANCES)))


def test_each_sms_answer_is_recorded_once_when_delivered_to_several_instances_at_once(serial_dynamodb: str) -> None:
    for round_ in range(ROUNDS):
        # Given an SMS survey sent to a customer (a score of 4 then "not resolved": one follow-up, NOT_RESOLVED)
        customer, contact = f"sms-race-{round_}", f"sms-race-contact-{round_}"
        assert survey_store.create_survey(SurveyRecord(contact, SurveyStatus.DISPATCHED, SENT, SENT,
                                                       customer_id=customer, channel="sms")) is not None
        publisher = InMemoryPublisher()
        replies = SmsSurveyReplies(store=DynamoDBSmsSurveys(), publisher=publisher, policy=load_survey_policy(),
                                   clock=lambda: REPLIED)
        # When the score, then the Y/N, each reach every instance at the same moment
        scores = deliver_at_once(replies, customer, "4")
        resolutions = deliver_at_once(replies, customer, "n")
        # Then one instance recorded each answer and the others found it recorded
        assert sorted(scores) == [SmsReplyReason.DUPLICATE] * (INSTANCES - 1) + [SmsReplyReason.SCORE_RECORDED]
        assert sorted(resolutions) == ([SmsReplyReason.DUPLICATE] * (INSTANCES - 1)
                                       + [SmsReplyReason.RESOLUTION_RECORDED])
        stored = survey_store.get_survey(contact)
        assert stored is not None and (stored.status, stored.score, stored.resolved) == (
            SurveyStatus.ANSWERED, 4, "no")
        followups = [f for f in FollowUpItem.scan() if f.contact_id == contact]
        assert [(f.reason, f.customer_id) for f in followups] == [("NOT_RESOLVED", customer)]
        assert len(publisher.named("SurveyLowScore")) == 1
