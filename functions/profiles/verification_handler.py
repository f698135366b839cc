"""Caller-verification Lambda, invoked from the inbound contact flow (InvokeLambdaFunction, STRING_MAP).

Parameters (LambdaInvocationAttributes): `customer_id` (the contact attribute the routing Lambda set from
the calling number) and `pin` (`$.StoredCustomerInput`, what the caller typed; the flow turns its logging
off around it). The answer is always `{"result", "verified", "message", "customer_name"}`
(functions.profiles.verification.VerificationAnswer). Thin: it never raises for bad input or a store that
does not answer; if the function itself fails or times out, the flow's error branch apologises and queues
the call. The PIN is never logged, nor the customer id or name: only the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.clock import utc_now
from functions.common.observability import count_metric, logger, metrics
from functions.common.settings import ClientBounds
from functions.profiles import store
from functions.profiles.verification import VerificationRequest, verify_caller
from functions.storage.tables import configure_data_access

# At most a read and two writes: short bounds, well inside the function's timeout (the flow waits longer).
DDB_BOUNDS = ClientBounds(connect_timeout_s=0.3, read_timeout_s=0.6, max_attempts=2)


def _parameters(event: Any) -> Mapping[str, Any]:
    details = event.get("Details") if isinstance(event, Mapping) else None
    parameters = details.get("Parameters") if isinstance(details, Mapping) else None
    return parameters if isinstance(parameters, Mapping) else {}


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    configure_data_access((store.ProfileItem,), DDB_BOUNDS)
    answer = verify_caller(VerificationRequest.from_parameters(_parameters(event)), store, utc_now())
    logger.info("caller verification", extra={"result": answer.result.value})
    metrics.add_metric(name="CallerVerifications", unit=MetricUnit.Count, value=1)
    count_metric("CallerVerificationsByResult", result=answer.result.value)
    return answer.to_connect()
