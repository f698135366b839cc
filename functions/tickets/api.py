"""The agents' ticket API: routes, request and response models, identity, and how refusals look over HTTP.

About 630 lines, kept whole for now: the resolver, its models and its error mapping are read together to
review what an agent may send and get back. The pydantic models are the part to move out (an `api_models`
module) when the agent desktop adds its routes.

A Powertools `APIGatewayRestResolver` with validation: the pydantic models below are both the request
and response validation and the source of the OpenAPI document (`openapi()`, committed as
docs/api/tickets-openapi.json; `python -m functions.tickets.api` prints it). The routes only translate:
the identity becomes an `Actor`, the body becomes a call to `TicketService`, the ticket becomes JSON.

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
400 the body is not JSON; 401 no (or the wrong kind of) identity; 403 a restricted ticket of another
team, or a change by somebody outside the ticket's team; 404 unknown ticket, customer, team or route;
409 `version_conflict` (with `current_version`: read again, then retry; for a note, which carries no
version, it means the ticket kept changing on every attempt: send the note again) and
`transition_not_allowed` (with `allowed`); 415 a body that is not JSON by content type; 422 a field that
is missing, of the wrong type or out of range (`detail` lists each problem), a change that makes no
sense for the ticket (`invalid_change`), a ticket too full for the change (`ticket_full`), or a
request_id of yours sent again with another request (`request_id_reused`); 503 the table did not answer
(with Retry-After). Bad input never gets a 500.

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
from datetime import datetime
from functools import lru_cache
from http import HTTPStatus
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import content_types
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from functions.common.clock import utc_now
from functions.common.observability import logger
from functions.common.ticket_overview import Status
from functions.insights.hint import InsightStoreUnavailable
from functions.profiles import store as profile_store
from functions.profiles.pin import MAX_PIN_DIGITS, MIN_PIN_DIGITS, PIN_PATTERN, hash_pin
from functions.routing.policy import load_policy
from functions.tickets import store as ticket_store
from functions.tickets.insights_routes import ROUTES as INSIGHTS_ROUTES
from functions.tickets.insights_routes import router as insights_router
from functions.tickets.service import TicketService
from functions.tickets.ticket import (
    CATEGORIES,
    DEFAULT_PRIORITY,
    MAX_NOTE_CHARS,
    MAX_SUBJECT_CHARS,
    PRIORITIES,
    TRANSITIONS,
    AccessDenied,
    Actor,
    ActorKind,
    CustomerNotFound,
    HistoryEntry,
    InvalidChange,
    RequestIdReused,
    Ticket,
    TicketError,
    TicketFull,
    TicketNotFound,
    TicketStoreUnavailable,
    TransitionNotAllowed,
    VersionConflict,
)

SERVICE_PREFIX = "/service"
API_TITLE = "Call center tickets API"
API_VERSION = "1.0.0"
RETRY_AFTER_SECONDS = 2
SUPERVISORS_GROUP = "supervisors"
TEAM_GROUP_PREFIX = "team-"

# Identifiers as they are made (functions/tickets/ticket.new_ticket_id, functions/profiles/importer.py);
# checking them here keeps an absurd key (DynamoDB refuses keys over 2 KB) a 422, not a store error.
TICKET_ID_PATTERN = r"^[A-Za-z0-9-]{1,40}$"
CUSTOMER_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
TEAM_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
# arn:<partition>:sts::<account>:assumed-role/<role name>/<session name>; role names have no "/".
ASSUMED_ROLE_ARN = re.compile(r"^(?P<role>arn:[a-z-]+:sts::\d{12}:assumed-role/[\w+=,.@-]+)/[^/]+$")

Category = Literal[CATEGORIES]  # type: ignore[valid-type]
Priority = Annotated[StrictInt, Field(ge=min(PRIORITIES), le=max(PRIORITIES), description="1 is the most urgent")]
# Bounded so that every request has a largest size (WAF's body rule is derived from it, infra/constructs/web_acl.py).
MAX_VERSION = 2**31 - 1
Version = Annotated[StrictInt, Field(ge=1, le=MAX_VERSION,
                                     description="the `version` of the ticket as the caller read it")]
ContactId = Annotated[str, Field(min_length=1, max_length=128, description="the Amazon Connect contact id")]
Note = Annotated[str, Field(min_length=1, max_length=MAX_NOTE_CHARS)]
TicketIdParam = Annotated[str, Path(pattern=TICKET_ID_PATTERN, description="e.g. T261123A1B2C3")]

app = APIGatewayRestResolver(
    enable_validation=True,
    strip_prefixes=[SERVICE_PREFIX],
    # A response that does not match its model is our bug: a 500, not a 422 blaming the caller.
    response_validation_error_http_code=HTTPStatus.INTERNAL_SERVER_ERROR,
)


# --- models ----------------------------------------------------------------------------------------------

class _Model(BaseModel):
    # Each model's validator and serializer are built when the model is first used, not at import: a cold
    # start's first request builds the few its route needs instead of all of them (same validation either way).
    model_config = ConfigDict(defer_build=True)


class _Request(_Model):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not silently ignored


class CreateTicketRequest(_Request):
    customer_id: Annotated[str, Field(pattern=CUSTOMER_ID_PATTERN, max_length=64)]
    subject: Annotated[str, Field(min_length=1, max_length=MAX_SUBJECT_CHARS)]
    category: Category
    team: Annotated[str, Field(min_length=1, max_length=64, description="a queue of the routing policy")]
    priority: Priority = DEFAULT_PRIORITY
    restricted: StrictBool = False
    contact_id: ContactId | None = None
    note: Note | None = None
    request_id: Annotated[str | None, Field(
        min_length=1, max_length=128,
        description="idempotency key, scoped to the caller: the same request with the same request_id returns "
                    "the ticket it created (200); the same request_id with another request is refused (422 "
                    "request_id_reused)")] = None


class StatusChangeRequest(_Request):
    status: Status
    expected_version: Version
    note: Note | None = None
    contact_id: ContactId | None = None


class AssignRequest(_Request):
    agent: Annotated[str, Field(min_length=1, max_length=128)]
    expected_version: Version


class EscalateRequest(_Request):
    team: Annotated[str, Field(min_length=1, max_length=64)]
    reason: Note
    expected_version: Version
    priority: Priority | None = None


class PriorityRequest(_Request):
    priority: Priority
    expected_version: Version


class NoteRequest(_Request):
    text: Note
    contact_id: ContactId | None = None


class PinRequest(_Request):
    pin: Annotated[str, Field(pattern=PIN_PATTERN, min_length=MIN_PIN_DIGITS, max_length=MAX_PIN_DIGITS,
                              description="the customer's new phone PIN: 4 to 8 digits")]


class PinSetOut(_Model):
    customer_id: str
    pin_set: bool = Field(description="always true: the PIN is stored (hashed), earlier wrong tries and any "
                                      "lock are forgotten")


class HistoryEntryOut(_Model):
    seq: int
    at: datetime
    actor: str
    action: str
    from_status: Status | None = None
    to_status: Status | None = None
    team: str | None = None
    agent: str | None = None
    note: str | None = None

    @classmethod
    def of(cls, entry: HistoryEntry) -> "HistoryEntryOut":
        return cls.model_validate(entry, from_attributes=True)


class TicketListItem(_Model):
    ticket_id: str
    customer_id: str
    subject: str
    category: str
    priority: int
    status: Status
    team: str
    agent: str | None
    restricted: bool
    contact_ids: list[str]
    sla_due_at: datetime
    overdue: bool
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def fields_of(cls, ticket: Ticket, now: datetime) -> dict[str, Any]:
        return dict(
            ticket_id=ticket.ticket_id, customer_id=ticket.customer_id, subject=ticket.subject,
            category=ticket.category, priority=ticket.priority, status=ticket.status, team=ticket.team,
            agent=ticket.agent, restricted=ticket.restricted, contact_ids=list(ticket.contact_ids),
            sla_due_at=ticket.sla_due_at, overdue=ticket.overdue(now), created_at=ticket.created_at,
            updated_at=ticket.updated_at, version=ticket.version)

    @classmethod
    def of(cls, ticket: Ticket, now: datetime) -> "TicketListItem":
        return cls(**cls.fields_of(ticket, now))


class TicketOut(TicketListItem):
    history: list[HistoryEntryOut]

    @classmethod
    def of(cls, ticket: Ticket, now: datetime) -> "TicketOut":
        return cls(**cls.fields_of(ticket, now), history=[HistoryEntryOut.of(e) for e in ticket.history])


class TicketList(_Model):
    tickets: list[TicketListItem]
    count: int

    @classmethod
    def of(cls, tickets: list[Ticket], now: datetime) -> "TicketList":
        return cls(tickets=[TicketListItem.of(t, now) for t in tickets], count=len(tickets))


class ErrorDetail(_Model):
    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(_Model):
    error: str = Field(description="machine-readable code, e.g. version_conflict")
    message: str = Field(description="what is wrong and what to do, in one sentence")
    current_version: int | None = None
    current_status: Status | None = None
    allowed: list[Status] | None = None
    detail: list[ErrorDetail] | None = None


def _documented(*codes: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {
        400: "The body is not valid JSON", 401: "No identity, or the wrong kind for this path",
        403: "A restricted ticket of another team, or a change outside the ticket's team",
        404: "Unknown ticket, customer or team",
        409: "version_conflict (current_version given: read again, retry; a note: send it again) or "
             "transition_not_allowed",
        422: "A field is missing, of the wrong type or out of range; the change makes no sense here "
             "(invalid_change); the ticket is too full for it (ticket_full); a request_id reused for another "
             "request (request_id_reused)",
        503: "The ticket store did not answer; retry after Retry-After seconds",
    }
    every = (400, 401, 422, 503, *codes)
    return {code: {"description": descriptions[code], "content": {"application/json": {"model": ErrorBody}}}
            for code in sorted(set(every))}


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

#: (HTTP method, API Gateway path) of every route, as declared below; `routes()` reads the same from the
#: OpenAPI document (a test holds them equal). The handler labels requests with these: building the OpenAPI
#: document on a cold start's first request would cost more than the whole import.
DECLARED_ROUTES: list[tuple[str, str]] = []


def _declare(method: str, rule: str, **options: Any) -> Any:
    """`app.get(rule, ...)` and the like (Powertools' `app.route`), recording the route in DECLARED_ROUTES."""
    DECLARED_ROUTES.append((method, re.sub(r"<(\w+)>", r"{\1}", rule)))
    return app.route(rule, method=method, **options)


@_declare("POST", "/tickets", summary="Open a ticket", responses={
    201: {"description": "Created", "content": {"application/json": {"model": TicketOut}}},
    200: {"description": "This request_id had already created the ticket", "content": {
        "application/json": {"model": TicketOut}}},
    **_documented(403, 404)})
def create_ticket(request: CreateTicketRequest) -> Response[TicketOut]:
    created = _service().create(_actor(), **request.model_dump())
    status = HTTPStatus.CREATED if created.created else HTTPStatus.OK
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON,
                    body=TicketOut.of(created.ticket, utc_now()))


@_declare("GET", "/tickets/overdue", summary="Open tickets past their SLA due time, most overdue first",
          responses=_documented())
def overdue_tickets() -> TicketList:
    return TicketList.of(_service().overdue(_actor()), utc_now())


@_declare("GET", "/tickets/<ticket_id>", summary="A ticket with its history", responses=_documented(403, 404))
def get_ticket(ticket_id: TicketIdParam) -> TicketOut:
    return TicketOut.of(_service().get(_actor(), ticket_id), utc_now())


@_declare("GET", "/customers/<customer_id>/tickets", summary="A customer's tickets, newest first",
          responses=_documented(404))
def customer_tickets(
    customer_id: Annotated[str, Path(pattern=CUSTOMER_ID_PATTERN)],
    include_closed: Annotated[bool, Query(description="also resolved and closed tickets")] = False,
) -> TicketList:
    tickets = _service().customer_tickets(_actor(), customer_id, include_closed=include_closed)
    if not tickets:
        ticket_store.customer_overview(customer_id)  # one more read, only to tell "none" from "no such customer"
    return TicketList.of(tickets, utc_now())


@_declare("GET", "/teams/<team>/tickets", summary="A team's open tickets, soonest due first",
          responses=_documented(404))
def team_tickets(team: Annotated[str, Path(pattern=TEAM_PATTERN)]) -> TicketList:
    if team not in _teams():
        raise _UnknownTeam(f"no team {team}; teams: {', '.join(sorted(_teams()))}")
    return TicketList.of(_service().team_queue(_actor(), team), utc_now())


@_declare("POST", "/tickets/<ticket_id>/status", summary="Change the status",
          responses=_documented(403, 404, 409))
def change_status(ticket_id: TicketIdParam, request: StatusChangeRequest) -> TicketOut:
    ticket = _service().change_status(_actor(), ticket_id, request.status, request.expected_version,
                                      note=request.note, contact_id=request.contact_id)
    return TicketOut.of(ticket, utc_now())


@_declare("POST", "/tickets/<ticket_id>/assign", summary="Assign to an agent",
          responses=_documented(403, 404, 409))
def assign_ticket(ticket_id: TicketIdParam, request: AssignRequest) -> TicketOut:
    ticket = _service().assign(_actor(), ticket_id, request.agent, request.expected_version)
    return TicketOut.of(ticket, utc_now())


@_declare("POST", "/tickets/<ticket_id>/escalate", summary="Hand to another team (status escalated)",
          responses=_documented(403, 404, 409))
def escalate_ticket(ticket_id: TicketIdParam, request: EscalateRequest) -> TicketOut:
    ticket = _service().escalate(_actor(), ticket_id, request.team, request.reason, request.expected_version,
                                 priority=request.priority)
    return TicketOut.of(ticket, utc_now())


@_declare("POST", "/tickets/<ticket_id>/priority", summary="Change the priority (and so the SLA due time)",
          responses=_documented(403, 404, 409))
def change_priority(ticket_id: TicketIdParam, request: PriorityRequest) -> TicketOut:
    ticket = _service().change_priority(_actor(), ticket_id, request.priority, request.expected_version)
    return TicketOut.of(ticket, utc_now())


@_declare("POST", "/tickets/<ticket_id>/notes",
          summary="Add a note (no version: re-applied, after a random wait, if the ticket changed meanwhile)",
          responses=_documented(403, 404, 409))
def add_note(ticket_id: TicketIdParam, request: NoteRequest) -> TicketOut:
    ticket = _service().add_note(_actor(), ticket_id, request.text, contact_id=request.contact_id)
    return TicketOut.of(ticket, utc_now())


@_declare("PUT", "/customers/<customer_id>/pin",
          summary="Set or reset the customer's phone PIN (IVR caller verification); supervisors or a team with "
                  "one of the customer's tickets",
          responses=_documented(403, 404))
def set_customer_pin(customer_id: Annotated[str, Path(pattern=CUSTOMER_ID_PATTERN)], request: PinRequest) -> PinSetOut:
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
DECLARED_ROUTES.extend(INSIGHTS_ROUTES)


def routes() -> list[tuple[str, str]]:
    """(HTTP method, API Gateway resource path) of every route, e.g. ("POST", "/tickets/{ticket_id}/status"),
    read from the OpenAPI document. CDK creates these methods under the agents' authorizer and again under
    /service with IAM."""
    paths = json.loads(app.get_openapi_json_schema())["paths"]
    return sorted(((method.upper(), path) for path, item in paths.items() for method in item),
                  key=lambda route: (route[1], route[0]))


# --- refusals ----------------------------------------------------------------------------------------------

class _UnknownTeam(TicketError):
    pass


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None,
           **extra: Any) -> Response:
    body = ErrorBody(error=code, message=message, **extra).model_dump(mode="json", exclude_none=True)
    return Response(status_code=int(status), content_type=content_types.APPLICATION_JSON, body=body,
                    headers=headers)


def _where(loc: tuple | list) -> str:
    return ".".join(str(part) for part in loc) or "request"


def _problem(error: Mapping[str, Any]) -> str:
    if error.get("type") == "json_invalid":
        reason = (error.get("ctx") or {}).get("error", "")
        return f"the body is not valid JSON ({reason} at character {error['loc'][-1]})"
    if error.get("type") == "extra_forbidden":
        return f"{_where(error['loc'])}: unknown field"
    if tuple(error.get("loc", ())) == ("body",):  # no body, or not an object: say what is expected
        return "body: a JSON object is required" if error.get("type") == "missing" else "body: must be a JSON object"
    return f"{_where(error['loc'])}: {error.get('msg', 'invalid')}"


@app.exception_handler(RequestValidationError)
def _invalid_request(exc: RequestValidationError) -> Response:
    refusal = _authentication_refusal()
    if refusal is not None:
        return refusal
    errors = list(exc.errors())
    detail = [ErrorDetail(loc=[str(p) if not isinstance(p, int) else p for p in e.get("loc", ())],
                          msg=_problem(e), type=str(e.get("type", "invalid"))) for e in errors]
    message = "; ".join(d.msg for d in detail) or "the request is not valid"
    if any(e.get("type") == "json_invalid" for e in errors):
        return _error(HTTPStatus.BAD_REQUEST, "malformed_json", message, detail=detail)
    return _error(HTTPStatus.UNPROCESSABLE_ENTITY, "validation_error", message, detail=detail)


@app.exception_handler(RequestUnsupportedContentType)
def _unsupported_content(exc: RequestUnsupportedContentType) -> Response:
    return _authentication_refusal() or _error(
        HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported_content_type", "send the body as application/json")


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

def openapi() -> str:
    """The OpenAPI document of the API, generated from the routes and models (docs/api/tickets-openapi.json)."""
    # Here, not at the top: Powertools' OpenAPI models (54 pydantic models) are only needed to write the document,
    # and importing them cost the function's cold start about 0.6x an `import boto3`.
    from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn

    document = app.get_openapi_json_schema(
        title=API_TITLE,
        version=API_VERSION,
        description=(
            "Agents call the routes with a Cognito user pool token (groups team-<queue>, supervisors). "
            "AWS service callers call the same routes under /service with IAM (SigV4). Every change except a "
            "note carries expected_version: a stale one gets 409 with current_version and writes nothing."),
        security_schemes={
            "agents": APIKey(name="Authorization", in_=APIKeyIn.header,
                             description="Cognito user pool ID token (API Gateway Cognito authorizer)"),
            "service": APIKey(name="Authorization", in_=APIKeyIn.header,
                              description="AWS SigV4 (IAM), routes under /service only"),
        },
        security=[{"agents": []}, {"service": []}],
    )
    return json.dumps(json.loads(document), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(openapi(), end="")
