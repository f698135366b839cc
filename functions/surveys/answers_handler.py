"""Survey answers Lambda, invoked from the survey contact flow (InvokeLambdaFunction, STRING_MAP).

Parameters (LambdaInvocationAttributes): `survey_contact_id` (the surveyed contact), `score`
("1".."5" or "none"), `resolved` ("1" yes, "2" no, or "none"). The answer is always
`{"recorded": "true"|"false", "followup": "true"|"false", "reason": <code>}` (answers.AnswerReason).
Thin: it never raises for bad input; a missing or malformed parameter, an unknown or already
answered survey, even a DynamoDB that does not answer, is `recorded=false` with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.clock import utc_now
from functions.common.events import EventBridgePublisher
from functions.common.observability import count_metric, logger, metrics
from functions.common.settings import ClientBounds
from functions.manifest import EVENT_BUS
from functions.storage.tables import configure_data_access
from functions.surveys.adapters import DynamoDBSurveyStore
from functions.surveys.answers import AnswerReason, AnswerResult, record_survey_answers
from functions.surveys.policy import load_survey_policy
from functions.surveys.store import FollowUpItem, SurveyItem

# Two DynamoDB requests and one PutEvents must fit in the function's 4 s (the flow waits 5 s).
DDB_BOUNDS = ClientBounds(connect_timeout_s=0.3, read_timeout_s=0.6, max_attempts=2)

DATA_MODELS = (SurveyItem, FollowUpItem)


def _configure_data_access() -> None:
    configure_data_access(DATA_MODELS, DDB_BOUNDS)


def _flow_parameters(event: Any) -> Mapping[str, Any] | None:
    """Details.Parameters of a Connect contact flow event, or None when the event is not one."""
    details = event.get("Details") if isinstance(event, Mapping) else None
    parameters = details.get("Parameters") if isinstance(details, Mapping) else None
    return parameters if isinstance(parameters, Mapping) else None


def _observe(result: AnswerResult) -> None:
    logger.info("survey answers", extra={
        "survey_contact_id": result.contact_id,
        "recorded": result.recorded,
        "reason": result.reason.value,
        "followup": result.followup.reason.value if result.followup else None,
        "published": result.published,
    })
    if result.recorded:
        metrics.add_metric(name="SurveysAnswered", unit=MetricUnit.Count, value=1)
    else:
        metrics.add_metric(name="SurveyAnswersRejected", unit=MetricUnit.Count, value=1)
        count_metric("SurveyAnswersRejectedByReason", reason=result.reason.value)
    if result.followup:
        metrics.add_metric(name="SurveyFollowUpsOpened", unit=MetricUnit.Count, value=1)
        if not result.published:
            logger.error("SurveyLowScore event not published; the follow-up is stored",
                         extra={"followup_id": result.followup.followup_id})
            metrics.add_metric(name="SurveyEventPublishFailed", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    _configure_data_access()
    parameters = _flow_parameters(event)
    if parameters is None:
        result = AnswerResult(False, AnswerReason.MALFORMED_EVENT)
    else:
        result = record_survey_answers(
            parameters,
            store=DynamoDBSurveyStore(),
            publisher=EventBridgePublisher.from_environment(EVENT_BUS.source),
            policy=load_survey_policy(),
            clock=utc_now,
        )
    _observe(result)
    return result.to_connect()
