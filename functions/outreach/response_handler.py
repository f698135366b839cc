"""Outreach response Lambda, invoked from the outreach contact flow (InvokeLambdaFunction, STRING_MAP).

Parameters (LambdaInvocationAttributes): `action` ("answered" | "remind_later" | "stop"),
`customer_id`, `campaign_id`, `expires` (YYYY-MM-DD), from the attributes the sender started the
call with. The answer is always `{"recorded": "true"|"false", "reason": <code>, "confirmation":
<what to say>}` (response.ResponseReason). Thin: it never raises for bad input; a missing parameter,
an unknown record, even a DynamoDB that does not answer, is `recorded=false` with the reason and a
polite text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.clock import utc_now
from functions.common.observability import count_metric, logger, metrics
from functions.common.settings import ClientBounds
from functions.outreach import store as outreach_data
from functions.outreach.adapters import DynamoDBOutreachStore
from functions.outreach.campaigns import load_campaigns
from functions.outreach.response import OutreachResponder, ResponseReason, ResponseResult
from functions.profiles import store as profiles
from functions.storage.tables import configure_data_access

# Up to five DynamoDB requests (stop: the opt-out, then read and write the record, twice at worst) within
# the function's 4 s (the flow waits 5 s).
DDB_BOUNDS = ClientBounds(connect_timeout_s=0.3, read_timeout_s=0.6, max_attempts=2)

DATA_MODELS = (profiles.ProfileItem, *outreach_data.OUTREACH_MODELS)


def _configure_data_access() -> None:
    configure_data_access(DATA_MODELS, DDB_BOUNDS)


def _flow_parameters(event: Any) -> Mapping[str, Any] | None:
    """Details.Parameters of a Connect contact flow event, or None when the event is not one."""
    details = event.get("Details") if isinstance(event, Mapping) else None
    parameters = details.get("Parameters") if isinstance(details, Mapping) else None
    return parameters if isinstance(parameters, Mapping) else None


def _observe(result: ResponseResult) -> None:
    logger.info("outreach response", extra={
        "customer_id": result.customer_id, "cycle": result.cycle, "action": result.action,
        "recorded": result.recorded, "reason": result.reason.value,
        "remind_on": result.remind_on.isoformat() if result.remind_on else None,
    })
    metrics.add_metric(name="OutreachResponses", unit=MetricUnit.Count, value=1)
    count_metric("OutreachResponsesByReason", action=result.action or "unknown", reason=result.reason.value)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    _configure_data_access()
    parameters = _flow_parameters(event)
    if parameters is None:
        result = ResponseResult(False, ResponseReason.MALFORMED_EVENT)
    else:
        responder = OutreachResponder(policy=load_campaigns(), store=DynamoDBOutreachStore(),
                                      opt_out=outreach_data.opt_out, clock=utc_now)
        result = responder.respond(parameters)
    _observe(result)
    return result.to_connect()
