"""Outreach planner Lambda, run by EventBridge Scheduler once a day per campaign (campaigns.json `schedule`).

Event: `{"campaign_id": ..., "scheduled_time": "<aws.scheduler.scheduled-time>", "run_date": "YYYY-MM-DD"?}`
(requests.py). Thin: the planning is OutreachPlanner's (planner.py); here are only the AWS wiring, logs
and metrics. The answer is the run's summary. A malformed event, an unknown campaign, DynamoDB not
answering or contacts that could not be enqueued make the invocation fail. Scheduler invokes the
function asynchronously, so Lambda's own asynchronous retries run it again, and a run that still
fails lands in the planner's dead-letter queue (alarmed); a retried run is idempotent.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.clock import utc_now
from functions.common.observability import count_metric, logger, metrics
from functions.common.settings import ClientBounds
from functions.outreach import store as outreach_data
from functions.outreach.adapters import DynamoDBOutreachStore, SqsOutreachQueue
from functions.outreach.campaigns import UnknownCampaign, load_campaigns
from functions.outreach.planner import EnqueueIncomplete, OutreachPlanner, PlanReport
from functions.outreach.requests import MalformedOutreachRequest, parse_plan_request
from functions.outreach.settings import outreach_queue_url, planner_sends_per_second
from functions.profiles import store as profiles
from functions.storage.tables import configure_data_access

# A batch job with minutes to run: patient timeouts, more attempts than the call-path functions.
DDB_BOUNDS = ClientBounds(connect_timeout_s=2.0, read_timeout_s=5.0, max_attempts=5)

DATA_MODELS = (profiles.ProfileItem, *outreach_data.OUTREACH_MODELS)


def _configure_data_access() -> None:
    configure_data_access(DATA_MODELS, DDB_BOUNDS)


def build_planner() -> OutreachPlanner:
    return OutreachPlanner(
        policy=load_campaigns(),
        store=DynamoDBOutreachStore(),
        due_profiles=outreach_data.due_profiles,
        queue=SqsOutreachQueue(outreach_queue_url()),
        clock=utc_now,
        sends_per_second=planner_sends_per_second(),
    )


def _observe(report: PlanReport) -> None:
    logger.info("outreach planned", extra=report.summary())
    metrics.add_metric(name="OutreachPlanned", unit=MetricUnit.Count, value=report.planned)
    metrics.add_metric(name="OutreachRemindersPlanned", unit=MetricUnit.Count, value=report.reminders)
    metrics.add_metric(name="OutreachRequeued", unit=MetricUnit.Count, value=report.requeued)
    metrics.add_metric(name="OutreachEnqueued", unit=MetricUnit.Count, value=report.enqueued)
    metrics.add_metric(name="OutreachDueProfilesRead", unit=MetricUnit.Count, value=report.profiles_read)
    for reason, count in report.skipped.items():
        count_metric("OutreachSkipped", count, reason=reason)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    _configure_data_access()
    try:
        request = parse_plan_request(event)
        report = build_planner().plan(request)
    except (MalformedOutreachRequest, UnknownCampaign) as exc:
        logger.error("outreach planner event rejected", extra={"problem": f"{type(exc).__name__}: {exc}"})
        metrics.add_metric(name="MalformedOutreachSchedule", unit=MetricUnit.Count, value=1)
        raise
    except EnqueueIncomplete as exc:
        logger.error("outreach run incomplete; the next run enqueues the rest", extra={"not_enqueued": exc.count})
        metrics.add_metric(name="OutreachEnqueueFailed", unit=MetricUnit.Count, value=exc.count)
        raise
    _observe(report)
    return report.summary()
