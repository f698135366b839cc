"""The agents' ticket API: routes, identity, and how refusals look over HTTP.

About 470 lines, a third of them this docstring and the refusal handlers: kept whole because the routes, the
identity rules and the error mapping are reviewed together; the models and the request checks are already out.

A Powertools `APIGatewayRestResolver` for routing, middleware, exception handlers and responses, without its
pydantic validation: neither pydantic nor Powertools' OpenAPI parameter models are imported by the function
(they cost its cold start about 0.4x an `import boto3`: the handler went from 1.71x to 1.27x in
benchmarks/cold_start_benchmark.py). The request and response models are msgspec Structs
(functions/tickets/api_models.py); every route is declared in a route table (functions/tickets/api_contract.py)
with its parameters, body model and answers, which reads and checks the request before the route runs and is
also the source of the OpenAPI document (`openapi()`, committed as docs/api/tickets-openapi.json;
`python -m functions.tickets.api` prints it). The routes only translate: the identity becomes an `Actor`, the
body becomes a call to `TicketService`, the ticket becomes JSON (encoded by msgspec).

Identity. API Gateway authenticates; this module decides what kind of caller it is and refuses a
credential of the wrong kind (defence in depth, in case a method is ever deployed with the wrong
authorizer):
- agent routes (`/tickets...`, `/customers...`, `/teams...`) need the Cognito user pool authorizer's
  claims: `cognito:username` (or `username`), and `cognito:groups`, where `team-<queue>` gives the
  agent's teams and `supervisors` makes a supervisor. API Gateway passes the groups claim as a string,
  "[team-billing supervisors]" or "team-billing,supervisors", so both are read;
- the same routes under `/service/...` need an IAM (SigV4) caller: `requestContext.identity.userArn`. The actor
  is the role, not the session: an assumed-role ARN (`arn:aws:sts::<account>:assumed-role/<role>/<session>`)
  is recorded as `arn:aws:sts::<account>:assumed-role/<role>`, because the session name is whatever the caller
  chose when assuming the role (it could read "supervisor-ana"). The role is what the API's resource policy
  allowed (infra/constructs/api.py); its path is not in the request, its name is unique in the account.
Which of the two applies is decided from the request's raw path, never from what the caller sends.
Anything else is 401, before the body is even looked at (an anonymous caller learns nothing about the
request format).

Refusals, each a JSON body `{"error": <code>, "message": <sentence>, ...}`:
400 the body is not JSON (`malformed_json`); 401 no (or the wrong kind of) identity; 403 a restricted ticket of
another team, or a change by somebody outside the ticket's team; 404 unknown ticket, customer, team or route;
409 `version_conflict` (with `current_version`: read again, then retry; for a note, which carries no
version, it means the ticket kept changing on every attempt: send the note again) and
`transition_not_allowed` (with `allowed`); 415 a body that is not JSON by content type; 422 a field that
is missing, unknown, of the wrong type or out of range, or a path or query parameter that is not valid
(`validation_error`: `detail` has an entry per problem, `{"loc": ["body", "priority"], "msg": ..., "type": ...}`,
see functions/tickets/api_contract.py), a change that makes no sense for the ticket (`invalid_change`), a
ticket too full for the change (`ticket_full`), or a request_id of yours sent again with another request
(`request_id_reused`); 503 the table did not answer (with Retry-After). Bad input never gets a 500.

`PUT /customers/{id}/pin` sets or resets the customer's phone PIN (functions/profiles/pin.py), which the IVR asks
for before it says anything about the customer: supervisors, or an agent of a team that handles one of the
customer's tickets that are not closed; never a service caller. The PIN is stored hashed and never returned or
logged.

`GET /contacts/{contact_id}/insights` and `GET /teams/{team}/alerts` (functions/tickets/insights_routes.py) serve
the live hints and alerts of functions/insights/ to the agent desktop; 503 when their table does not answer.

Lists (`/customers/{id}/tickets`, `/teams/{team}/tickets`, `/tickets/overdue`) return tickets without
their history, which can be long: GET /tickets/{ticket_id} has it.
"""

import json
import re
import traceback
from collections.abc import Mapping
from functools import lru_cache
from http import HTTPStatus
from typing import Annotated, Any

import msgspec
from aws_lambda_powertools.event_handler import content_types
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from msgspec import Meta

from functions.common.clock import utc_now
from functions.common.observability import logger
from functions.insights.hint import InsightStoreUnavailable
from functions.profiles import store as profile_store
from functions.profiles.pin import hash_pin
from functions.routing.policy import load_policy
from functions.tickets import store as ticket_store
from functions.tickets.api_contract import Answer, Param, RequestRefused, RouteSpec, RouteTable, openapi_document
from functions.tickets.api_models import (
    CUSTOMER_ID_PATTERN,
    TEAM_PATTERN,
    TICKET_ID_PATTERN,
    AssignRequest,
    CreateTicketRequest,
    CustomerId,
    ErrorBody,
    EscalateRequest,
    NoteRequest,
    PinRequest,
    PinSetOut,
    PriorityRequest,
    StatusChangeRequest,
    TeamName,
    TicketId,
    TicketList,
    TicketOut,
)
from functions.tickets.insights_routes import ROUTE_TABLE as INSIGHTS_ROUTE_TABLE
from functions.tickets.insights_routes import router as insights_router
from functions.tickets.service import TicketService
from functions.tickets.ticket import (
    TRANSITIONS,
    AccessDenied,
    Actor,
    ActorKind,
    CustomerNotFound,
    InvalidChange,
    RequestIdReused,
    TicketError,
    TicketFull,
    TicketNotFound,
    TicketStoreUnavailable,
    TransitionNotAllowed,
    VersionConflict,
)

__all__ = ["CUSTOMER_ID_PATTERN", "TEAM_PATTERN", "TICKET_ID_PATTERN", "app", "openapi", "routes"]

SERVICE_PREFIX = "/service"
API_TITLE = "Call center tickets API"
API_VERSION = "1.0.0"
RETRY_AFTER_SECONDS = 2
SUPERVISORS_GROUP = "supervisors"
TEAM_GROUP_PREFIX = "team-"
# arn:<partition>:sts::<account>:assumed-role/<role name>/<session name>; role names have no "/".
ASSUMED_ROLE_ARN = re.compile(r"^(?P<role>arn:[a-z-]+:sts::\d{12}:assumed-role/[\w+=,.@-]+)/[^/]+$")


def _json(value: object) -> str:
    """Response bodies (Structs, and dicts of them) as JSON, encoded by msgspec."""
    return msgspec.json.encode(value).decode()


app = APIGatewayRestResolver(strip_prefixes=[SERVICE_PREFIX], serializer=_json)


# --- identity ----------------------------------------------------------------------------------------------

class NotAuthenticated(Exception):
    """No identity, or one of the wrong kind for the path; the message says which credential is needed."""


def is_service_path(path: str | None) -> bool:
    return bool(path) and (path == SERVICE_PREFIX or str(path).startswith(SERVICE_PREFIX + "/"))


def parse_groups(claim: object) -> frozenset[str]:
    """The Cognito groups claim as API Gateway passes it: "[a b]", "a,b", "a" or (tests, HTTP APIs) a list."""
    if isinstance(claim, list | tuple):
        items = [str(item) for item in claim]
    elif isinstance(claim, str):
        items = claim.strip().strip("[]").replace(",", " ").split()
    else:
        items = []
    return frozenset(item.strip() for item in items if item.strip())


def service_principal(user_arn: str) -> str:
    """The principal a service call is recorded under: an assumed role without the caller-chosen session name,
    any other IAM principal (a user, the account root) as API Gateway names it."""
    match = ASSUMED_ROLE_ARN.match(user_arn)
    return match["role"] if match else user_arn


def identify(event: Mapping[str, Any]) -> Actor:
    """The caller of an API Gateway REST proxy event as an Actor, or NotAuthenticated."""
    context = event.get("requestContext")
    context = context if isinstance(context, Mapping) else {}
    authorizer = context.get("authorizer")
    claims = authorizer.get("claims") if isinstance(authorizer, Mapping) else None
    identity = context.get("identity")
    user_arn = identity.get("userArn") if isinstance(identity, Mapping) else None
    path = event.get("path")
    if is_service_path(path if isinstance(path, str) else None):
        if claims:
            raise NotAuthenticated("service routes (/service/...) take IAM (SigV4) credentials, not an agent token")
        if not isinstance(user_arn, str) or not user_arn:
            raise NotAuthenticated("service routes (/service/...) need a request signed with IAM (SigV4)")
        return Actor(service_principal(user_arn), ActorKind.SERVICE)
    if not isinstance(claims, Mapping) or not claims:
        if user_arn:
            raise NotAuthenticated("agent routes take a Cognito user pool token; IAM callers use /service/...")
        raise NotAuthenticated("sign in: agent routes need a Cognito user pool token")
    username = claims.get("cognito:username") or claims.get("username")
    if not isinstance(username, str) or not username.strip():
        raise NotAuthenticated("the token names no user (cognito:username)")
    groups = parse_groups(claims.get("cognito:groups"))
    teams = frozenset(g[len(TEAM_GROUP_PREFIX):] for g in groups
                      if g.startswith(TEAM_GROUP_PREFIX) and len(g) > len(TEAM_GROUP_PREFIX))
    return Actor(username.strip(), ActorKind.AGENT, teams, supervisor=SUPERVISORS_GROUP in groups)


def _authentication_refusal() -> Response | None:
    try:
        identify(app.current_event.raw_event)
    except NotAuthenticated as exc:
        return _error(HTTPStatus.UNAUTHORIZED, "not_authenticated", str(exc))
    return None


def _authenticate(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response:
    """Global middleware: every route (and the 404 for unknown ones) runs with a known Actor, or not at all."""
    try:
        actor = identify(app.current_event.raw_event)
    except NotAuthenticated as exc:
        return _error(HTTPStatus.UNAUTHORIZED, "not_authenticated", str(exc))
    app.append_context(actor=actor, request_read=True)
    return next_middleware(app)


app.use(middlewares=[_authenticate])


def _actor() -> Actor:
    return app.context["actor"]


# --- the service ---------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _teams() -> tuple[str, ...]:
    return tuple(load_policy().queues)


def _service() -> TicketService:
    return TicketService(_teams(), clock=utc_now)


# --- routes --------------------------------------------------------------------------------------------------

TABLE = RouteTable(app)
TICKET = Param("ticket_id", TicketId)


def _ok(model: type, description: str = "OK", status: int = HTTPStatus.OK) -> Answer:
    return Answer(int(status), description, model)


@TABLE.declare("POST", "/tickets", summary="Open a ticket", body=CreateTicketRequest, errors=(403, 404),
               ok=_ok(TicketOut, "Created (200 with the same body: this request_id had already created the ticket)",
                      HTTPStatus.CREATED))
def create_ticket(request: CreateTicketRequest) -> Response:
    created = _service().create(_actor(), **msgspec.structs.asdict(request))
    status = HTTPStatus.CREATED if created.created else HTTPStatus.OK
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON,
                    body=TicketOut.of(created.ticket, utc_now()))


@TABLE.declare("GET", "/tickets/overdue", summary="Open tickets past their SLA due time, most overdue first",
               ok=_ok(TicketList))
def overdue_tickets() -> TicketList:
    return TicketList.of(_service().overdue(_actor()), utc_now())


@TABLE.declare("GET", "/tickets/<ticket_id>", summary="A ticket with its history", params=[TICKET],
               errors=(403, 404), ok=_ok(TicketOut))
def get_ticket(ticket_id: str) -> TicketOut:
    return TicketOut.of(_service().get(_actor(), ticket_id), utc_now())


@TABLE.declare("GET", "/customers/<customer_id>/tickets", summary="A customer's tickets, newest first",
               params=[Param("customer_id", CustomerId),
                       Param("include_closed", Annotated[bool, Meta(description="also resolved and closed tickets")],
                             "query", default=False)],
               errors=(404,), ok=_ok(TicketList))
def customer_tickets(customer_id: str, include_closed: bool) -> TicketList:
    tickets = _service().customer_tickets(_actor(), customer_id, include_closed=include_closed)
    if not tickets:
        ticket_store.customer_overview(customer_id)  # one more read, only to tell "none" from "no such customer"
    return TicketList.of(tickets, utc_now())


@TABLE.declare("GET", "/teams/<team>/tickets", summary="A team's open tickets, soonest due first",
               params=[Param("team", TeamName)], errors=(404,), ok=_ok(TicketList))
def team_tickets(team: str) -> TicketList:
    if team not in _teams():
        raise _UnknownTeam(f"no team {team}; teams: {', '.join(sorted(_teams()))}")
    return TicketList.of(_service().team_queue(_actor(), team), utc_now())


@TABLE.declare("POST", "/tickets/<ticket_id>/status", summary="Change the status", params=[TICKET],
               body=StatusChangeRequest, errors=(403, 404, 409), ok=_ok(TicketOut))
def change_status(ticket_id: str, request: StatusChangeRequest) -> TicketOut:
    ticket = _service().change_status(_actor(), ticket_id, request.status, request.expected_version,
                                      note=request.note, contact_id=request.contact_id)
    return TicketOut.of(ticket, utc_now())


@TABLE.declare("POST", "/tickets/<ticket_id>/assign", summary="Assign to an agent", params=[TICKET],
               body=AssignRequest, errors=(403, 404, 409), ok=_ok(TicketOut))
def assign_ticket(ticket_id: str, request: AssignRequest) -> TicketOut:
    ticket = _service().assign(_actor(), ticket_id, request.agent, request.expected_version)
    return TicketOut.of(ticket, utc_now())


@TABLE.declare("POST", "/tickets/<ticket_id>/escalate", summary="Hand to another team (status escalated)",
               params=[TICKET], body=EscalateRequest, errors=(403, 404, 409), ok=_ok(TicketOut))
def escalate_ticket(ticket_id: str, request: EscalateRequest) -> TicketOut:
    ticket = _service().escalate(_actor(), ticket_id, request.team, request.reason, request.expected_version,
                                 priority=request.priority)
    return TicketOut.of(ticket, utc_now())


@TABLE.declare("POST", "/tickets/<ticket_id>/priority", summary="Change the priority (and so the SLA due time)",
               params=[TICKET], body=PriorityRequest, errors=(403, 404, 409), ok=_ok(TicketOut))
def change_priority(ticket_id: str, request: PriorityRequest) -> TicketOut:
    ticket = _service().change_priority(_actor(), ticket_id, request.priority, request.expected_version)
    return TicketOut.of(ticket, utc_now())


@TABLE.declare("POST", "/tickets/<ticket_id>/notes",
               summary="Add a note (no version: re-applied, after a random wait, if the ticket changed meanwhile)",
               params=[TICKET], body=NoteRequest, errors=(403, 404, 409), ok=_ok(TicketOut))
def add_note(ticket_id: str, request: NoteRequest) -> TicketOut:
    ticket = _service().add_note(_actor(), ticket_id, request.text, contact_id=request.contact_id)
    return TicketOut.of(ticket, utc_now())


@TABLE.declare("PUT", "/customers/<customer_id>/pin",
               summary="Set or reset the customer's phone PIN (IVR caller verification); supervisors or a team "
                       "with one of the customer's tickets",
               params=[Param("customer_id", CustomerId)], body=PinRequest, errors=(403, 404), ok=_ok(PinSetOut))
def set_customer_pin(customer_id: str, request: PinRequest) -> PinSetOut:
    actor = _actor()
    if actor.kind is not ActorKind.AGENT:
        raise AccessDenied("a phone PIN is set by an agent, with the customer on the line")
    if not actor.supervisor:
        teams = {summary.team for summary in ticket_store.customer_overview(customer_id).summaries}
        if not teams & actor.teams:
            raise AccessDenied("only supervisors, or a team handling one of the customer's tickets, set a PIN")
    try:
        profile_store.set_pin(customer_id, hash_pin(request.pin), utc_now())
    except profile_store.ProfileNotFound:
        raise CustomerNotFound(f"no customer {customer_id}") from None
    except profile_store.ProfileStoreUnavailable as exc:
        raise TicketStoreUnavailable(str(exc)) from exc
    return PinSetOut(customer_id=customer_id, pin_set=True)


app.include_router(insights_router)
#: Every route of the API, as declared (the insights routes after the tickets'): the OpenAPI document is built
#: from it, and the handler labels requests with its (method, path) pairs.
ROUTE_TABLE: list[RouteSpec] = [*TABLE.routes, *INSIGHTS_ROUTE_TABLE.routes]
DECLARED_ROUTES: list[tuple[str, str]] = [(route.method, route.path) for route in ROUTE_TABLE]


def routes() -> list[tuple[str, str]]:
    """(HTTP method, API Gateway resource path) of every route, e.g. ("POST", "/tickets/{ticket_id}/status"),
    read from the OpenAPI document. CDK creates these methods under the agents' authorizer and again under
    /service with IAM."""
    paths = _document()["paths"]
    return sorted(((method.upper(), path) for path, item in paths.items() for method in item),
                  key=lambda route: (route[1], route[0]))


# --- refusals ----------------------------------------------------------------------------------------------

class _UnknownTeam(TicketError):
    pass


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None,
           **extra: Any) -> Response:
    return Response(status_code=int(status), content_type=content_types.APPLICATION_JSON,
                    body=ErrorBody(error=code, message=message, **extra), headers=headers)


@app.exception_handler(RequestRefused)
def _refused(exc: RequestRefused) -> Response:
    """415, 400 or 422 (functions/tickets/api_contract.py), after authentication: the route read the request."""
    if exc.code == "unsupported_content_type":
        return _error(exc.status, exc.code, "send the body as application/json")
    return _error(exc.status, exc.code, str(exc), detail=exc.problems)


@app.not_found
def _no_route(exc: NotFoundError) -> Response:
    return _error(HTTPStatus.NOT_FOUND, "no_route", "no such route: see the OpenAPI document for the routes")


@app.exception_handler([TicketNotFound, CustomerNotFound, _UnknownTeam])
def _not_found(exc: TicketError) -> Response:
    return _error(HTTPStatus.NOT_FOUND, "not_found", str(exc))


@app.exception_handler(AccessDenied)
def _forbidden(exc: AccessDenied) -> Response:
    return _error(HTTPStatus.FORBIDDEN, "forbidden", str(exc))


@app.exception_handler(VersionConflict)
def _conflict(exc: VersionConflict) -> Response:
    return _error(HTTPStatus.CONFLICT, "version_conflict", str(exc), current_version=exc.current)


@app.exception_handler(TransitionNotAllowed)
def _transition(exc: TransitionNotAllowed) -> Response:
    return _error(HTTPStatus.CONFLICT, "transition_not_allowed", str(exc), current_status=exc.current,
                  allowed=sorted(TRANSITIONS[exc.current]))


@app.exception_handler(TicketFull)
def _full(exc: TicketFull) -> Response:
    return _error(HTTPStatus.UNPROCESSABLE_ENTITY, "ticket_full", str(exc))


@app.exception_handler(RequestIdReused)
def _request_id_reused(exc: RequestIdReused) -> Response:
    return _error(HTTPStatus.UNPROCESSABLE_ENTITY, "request_id_reused", str(exc))


@app.exception_handler(TicketError)
def _invalid_change(exc: TicketError) -> Response:
    """InvalidChange (and any other domain refusal): well-formed, but not applicable to this ticket."""
    code = "invalid_change" if isinstance(exc, InvalidChange) else "refused"
    return _error(HTTPStatus.UNPROCESSABLE_ENTITY, code, str(exc))


@app.exception_handler(InsightStoreUnavailable)
def _insights_unavailable(exc: InsightStoreUnavailable) -> Response:
    return _error(HTTPStatus.SERVICE_UNAVAILABLE, "store_unavailable",
                  "the hints store is not answering right now; retry in a few seconds",
                  headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


@app.exception_handler(TicketStoreUnavailable)
def _unavailable(exc: TicketStoreUnavailable) -> Response:
    return _error(HTTPStatus.SERVICE_UNAVAILABLE, "store_unavailable",
                  "the ticket store is not answering right now; retry in a few seconds "
                  "(a change carries its expected_version, so a retry cannot apply it twice)",
                  headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


@app.exception_handler(Exception)
def _unexpected(exc: Exception) -> Response:
    """Anything else. Before the route ran (no actor in the context) it was reading the request: the
    caller's 400. After, it is our bug: a 500 whose log names the code location, not the message (which
    may quote data)."""
    refusal = _authentication_refusal()
    if refusal is not None:
        return refusal
    if not app.context.get("request_read"):
        return _error(HTTPStatus.BAD_REQUEST, "unreadable_request",
                      "the request could not be read: send a JSON body with Content-Type application/json")
    frames = traceback.extract_tb(exc.__traceback__)
    logger.error("unexpected error", extra={
        "error_type": type(exc).__name__,
        "at": [f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in frames[-5:]]})
    return _error(HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error",
                  "something went wrong on our side; nothing was changed unless the ticket says so")


# --- OpenAPI -----------------------------------------------------------------------------------------------

def _document() -> dict[str, Any]:
    return openapi_document(
        ROUTE_TABLE,
        title=API_TITLE,
        version=API_VERSION,
        description=(
            "Agents call the routes with a Cognito user pool token (groups team-<queue>, supervisors). "
            "AWS service callers call the same routes under /service with IAM (SigV4). Every change except a "
            "note carries expected_version: a stale one gets 409 with current_version and writes nothing."),
        security_schemes={
            "agents": {"type": "apiKey", "name": "Authorization", "in": "header",
                       "description": "Cognito user pool ID token (API Gateway Cognito authorizer)"},
            "service": {"type": "apiKey", "name": "Authorization", "in": "header",
                        "description": "AWS SigV4 (IAM), routes under /service only"},
        },
        security=[{"agents": []}, {"service": []}],
    )


def openapi() -> str:
    """The OpenAPI document of the API, generated from the routes and models (docs/api/tickets-openapi.json)."""
    return json.dumps(_document(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(openapi(), end="")
