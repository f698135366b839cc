"""Ticket API Lambda, behind API Gateway REST (Cognito authorizer for agents, IAM under /service).

Thin: bind the tables on first use, let the Powertools resolver (functions/tickets/api.py) answer,
then observe. The log line and the metrics carry the route template, the status code, the refusal's
code and the ticket id, never a body: subjects, notes, agent names and customer details stay out of
the logs. The route comes from the event's `resource` (set by API Gateway, so a caller cannot invent
new metric dimensions); anything that is not one of our routes counts as "other".

CORS: a request from the agent desktop's origin (DESKTOP_ORIGIN, set by infra/constructs/desktop.py) gets
Access-Control-Allow-Origin for that origin; any other Origin gets none (the browser then refuses to hand the
answer to that page). API Gateway answers the preflight itself (infra/constructs/api.py).
"""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.observability import count_metric, logger, metrics
from functions.common.settings import ClientBounds
from functions.insights.store import InsightItem
from functions.profiles.store import ProfileItem
from functions.storage.tables import configure_data_access
from functions.tickets.api import DECLARED_ROUTES, SERVICE_PREFIX, TICKET_ID_PATTERN, app
from functions.tickets.store import TicketItem

# An agent waits for the answer: short timeouts; the manifest sets DDB_MAX_ATTEMPTS (3) for the writes'
# transactions, and the function's 10 s leave room for the note retries of TicketService.add_note (their
# waits add up to at most 5.55 s).
DDB_BOUNDS = ClientBounds(connect_timeout_s=0.5, read_timeout_s=1.0, max_attempts=3)
DATA_MODELS = (TicketItem, ProfileItem, InsightItem)
_TICKET_ID = re.compile(TICKET_ID_PATTERN)


@lru_cache(maxsize=1)
def _known_routes() -> frozenset[tuple[str, str]]:
    return frozenset(DECLARED_ROUTES)  # not routes(): that builds the OpenAPI document


def route_label(event: dict[str, Any]) -> str:
    """"POST /tickets/{ticket_id}/status" for one of our routes (with or without /service), else "other"."""
    method = str(event.get("httpMethod") or "").upper()
    resource = str(event.get("resource") or "")
    if resource == SERVICE_PREFIX or resource.startswith(SERVICE_PREFIX + "/"):
        resource = resource[len(SERVICE_PREFIX):]
    return f"{method} {resource}" if (method, resource) in _known_routes() else "other"


def _response_fields(response: dict[str, Any]) -> dict[str, Any]:
    """The refusal code, or the ticket id of a created ticket, from our own JSON response body."""
    try:
        body = json.loads(response.get("body") or "null")
    except (TypeError, ValueError):
        return {}
    if not isinstance(body, dict):
        return {}
    return {key: body[key] for key in ("error", "ticket_id") if isinstance(body.get(key), str)}


def with_cors(event: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    """The response, with Access-Control-Allow-Origin when the request comes from the desktop's origin."""
    allowed = os.environ.get("DESKTOP_ORIGIN", "")
    headers = event.get("headers") or {}
    origin = next((v for k, v in headers.items() if k.lower() == "origin"), None) if isinstance(headers, dict) else None
    if not allowed or origin != allowed:
        return response
    cors = {"Access-Control-Allow-Origin": allowed, "Vary": "Origin"}
    response["headers"] = {**(response.get("headers") or {}), **cors}
    if "multiValueHeaders" in response:
        response["multiValueHeaders"] = {**(response["multiValueHeaders"] or {}),
                                         **{k: [v] for k, v in cors.items()}}
    return response


def _observe(event: dict[str, Any], response: dict[str, Any]) -> None:
    status = int(response.get("statusCode", 0))
    route = route_label(event)
    fields = _response_fields(response)
    path_parameters = event.get("pathParameters") or {}
    ticket_id = path_parameters.get("ticket_id") if isinstance(path_parameters, dict) else None
    ticket_id = ticket_id or fields.get("ticket_id")
    logger.info("ticket api request", extra={
        "route": route,
        "status_code": status,
        "error": fields.get("error"),
        "ticket_id": ticket_id if isinstance(ticket_id, str) and _TICKET_ID.match(ticket_id) else None,
    })
    status_class = f"{status // 100}xx"
    count_metric("TicketApiRequests", route=route, status_class=status_class)
    count_metric(f"TicketApi{status_class}")  # per function, no route: what the alarms watch (e.g. TicketApi5xx)


@logger.inject_lambda_context(clear_state=True, correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    configure_data_access(DATA_MODELS, DDB_BOUNDS)
    response = with_cors(event, app.resolve(event, context))
    _observe(event, response)
    return response
