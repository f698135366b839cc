"""Ticket self-service Lambda, invoked from the inbound contact flow (InvokeLambdaFunction, STRING_MAP).

Parameters (LambdaInvocationAttributes): `action` (confirm | reopen | status), `customer_id` and
`ticket_id` (the contact attributes `customer_id` and `latest_ticket_id` the routing Lambda set); the contact
attribute `caller_verified` must be "true" (set by the flow once the caller typed their PIN). The
contact id of the call is recorded on the ticket's history. The answer is always
`{"result", "message", "ticket_id", "ticket_status"}` (functions.tickets.self_service.SelfServiceAnswer):
the flow plays `message` and branches on `result`. Thin: it never raises for bad input or a store
that does not answer; if the function itself fails or times out, the flow's error branch apologises
and queues the call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.clock import utc_now
from functions.common.observability import count_metric, logger, metrics
from functions.common.settings import ClientBounds
from functions.profiles.store import ProfileItem
from functions.routing.policy import load_policy
from functions.storage.tables import configure_data_access
from functions.tickets.self_service import Result, SelfServiceAnswer, SelfServiceRequest, serve
from functions.tickets.service import TicketService
from functions.tickets.store import TicketItem

# A confirm is at most a read, a transaction and (after a lost race) both again: four short requests
# must fit in the function's 4 s (the flow waits 5 s). The manifest tightens them through DDB_*.
DDB_BOUNDS = ClientBounds(connect_timeout_s=0.3, read_timeout_s=0.6, max_attempts=2)


def _configure_data_access() -> None:
    configure_data_access((TicketItem, ProfileItem), DDB_BOUNDS)


def _request(event: Any) -> SelfServiceRequest | None:
    """The request from a Connect contact flow event, or None when the event is not one."""
    details = event.get("Details") if isinstance(event, Mapping) else None
    parameters = details.get("Parameters") if isinstance(details, Mapping) else None
    if not isinstance(parameters, Mapping):
        return None
    contact_data = details.get("ContactData")
    contact_id = contact_data.get("ContactId") if isinstance(contact_data, Mapping) else None
    attributes = contact_data.get("Attributes") if isinstance(contact_data, Mapping) else None
    verified = isinstance(attributes, Mapping) and attributes.get("caller_verified") == "true"
    return SelfServiceRequest.from_parameters(parameters, contact_id, caller_verified=verified)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    _configure_data_access()
    request = _request(event)
    if request is None:
        answer = SelfServiceAnswer.refused(Result.BAD_REQUEST)
    else:
        answer = serve(request, TicketService(load_policy().queues, clock=utc_now))
    # Ticket ids and statuses only: no phone number, no name, no customer id in the logs.
    logger.info("ticket self-service", extra={
        "action": request.action if request else None, "result": answer.result.value,
        "ticket_id": answer.ticket_id, "ticket_status": answer.ticket_status})
    metrics.add_metric(name="TicketSelfServiceRequests", unit=MetricUnit.Count, value=1)
    count_metric("TicketSelfServiceByResult", result=answer.result.value)
    return answer.to_connect()
