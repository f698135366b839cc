"""The ticket API through its Lambda handler on the local backend: API Gateway REST proxy events
(events/tickets/*.json), the real resolver, service and tables (moto)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from callcenter.backend import DynamoDBTraffic, function_arn
from functions.common.observability import logger
from functions.manifest import FUNCTIONS
from functions.profiles import store as profile_store
from functions.profiles.profile import CustomerProfile
from functions.tickets import store as ticket_store
from functions.tickets.api import routes
from tests.conftest import load_event

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
SAMPLE_ID = "T261123A1B2C3"  # the ticket id in the sample events
API = FUNCTIONS["ticket-api"]


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, list[str]]

    @property
    def message(self) -> str:
        return self.body.get("message", "") if isinstance(self.body, dict) else ""


class TicketApi:
    """Sends API Gateway events to the deployed handler (backend.invoke_lambda), as agents or a service."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend

    def send(self, event: dict[str, Any]) -> Reply:
        response = self.backend.invoke_lambda(function_arn("ticket-api"), event, API.timeout_seconds)
        body = json.loads(response["body"]) if response.get("body") else None
        return Reply(response["statusCode"], body, dict(response.get("multiValueHeaders") or {}))

    @staticmethod
    def event(method: str, resource: str, body: Any = None, *, agent: str | None = "ana",
              groups: str = "[team-billing]", service: bool = False, query: dict[str, str] | None = None,
              **path_parameters: str) -> dict[str, Any]:
        """An event shaped like the samples: an agent's (Cognito claims) or, with service=True, an IAM caller's
        under /service."""
        event = load_event("tickets/api_service_create_ticket" if service else "tickets/api_get_ticket")
        path = resource.format(**path_parameters)
        prefix = "/service" if service else ""
        event.update(httpMethod=method, resource=prefix + resource, path=prefix + path,
                     pathParameters=path_parameters or None, queryStringParameters=query,
                     multiValueQueryStringParameters={k: [v] for k, v in query.items()} if query else None,
                     body=body if body is None or isinstance(body, str) else json.dumps(body))
        event["requestContext"].update(httpMethod=method, resourcePath=prefix + resource, path=f"/prod{prefix}{path}")
        if not service:
            claims = event["requestContext"]["authorizer"]["claims"]
            if agent is None:
                del event["requestContext"]["authorizer"]
            else:
                claims.update({"cognito:username": agent, "cognito:groups": groups})
        return event

    def call(self, method: str, resource: str, body: Any = None, **options: Any) -> Reply:
        return self.send(self.event(method, resource, body, **options))

    # the routes, as an agent of billing unless told otherwise
    def create(self, **fields: Any) -> Reply:
        body = {"customer_id": "cust-ada", "subject": "Charged twice", "category": "billing", "team": "billing"}
        options = {k: fields.pop(k) for k in ("agent", "groups", "service") if k in fields}
        return self.call("POST", "/tickets", {**body, **fields}, **options)

    def get(self, ticket_id: str, **options: Any) -> Reply:
        return self.call("GET", "/tickets/{ticket_id}", ticket_id=ticket_id, **options)

    def change(self, ticket_id: str, action: str, body: Any, **options: Any) -> Reply:
        return self.call("POST", "/tickets/{ticket_id}/" + action, body, ticket_id=ticket_id, **options)


@pytest.fixture
def api(backend: Any) -> TicketApi:
    profile_store.save_profiles([
        CustomerProfile("cust-ada", "+14155550100", "Ada Lovelace"),
        CustomerProfile("cust-grace", "+12125550175", "Grace Hopper"),
    ])
    backend.now = NOW
    return TicketApi(backend)


def opened(api: TicketApi, **fields: Any) -> dict[str, Any]:
    reply = api.create(**fields)
    assert reply.status == 201, reply.body
    return reply.body


def with_ticket(event: dict[str, Any], ticket_id: str) -> dict[str, Any]:
    """A sample event pointed at a ticket that exists."""
    event["path"] = event["path"].replace(SAMPLE_ID, ticket_id)
    event["pathParameters"]["ticket_id"] = ticket_id
    return event


# --- every route works ---------------------------------------------------------------------------------------

def test_the_routes_are_the_contract() -> None:
    assert routes() == sorted([
        ("POST", "/tickets"), ("GET", "/tickets/overdue"), ("GET", "/tickets/{ticket_id}"),
        ("GET", "/customers/{customer_id}/tickets"), ("GET", "/teams/{team}/tickets"),
        ("POST", "/tickets/{ticket_id}/status"), ("POST", "/tickets/{ticket_id}/assign"),
        ("POST", "/tickets/{ticket_id}/escalate"), ("POST", "/tickets/{ticket_id}/priority"),
        ("POST", "/tickets/{ticket_id}/notes"), ("PUT", "/customers/{customer_id}/pin"),
        # The agent desktop's live hints and alerts (functions/tickets/insights_routes.py)
        ("GET", "/contacts/{contact_id}/insights"), ("GET", "/teams/{team}/alerts"),
    ], key=lambda route: (route[1], route[0]))


def test_an_agent_opens_a_ticket_and_a_retried_request_returns_the_same_one(api: TicketApi) -> None:
    # Given the sample request of an agent of billing (with a request_id)
    first = api.send(load_event("tickets/api_create_ticket"))
    # Then the ticket is created, open, due by its priority's SLA, with its first history entry
    assert first.status == 201
    ticket = first.body
    assert (ticket["customer_id"], ticket["status"], ticket["team"], ticket["priority"], ticket["version"]) == (
        "cust-ada", "open", "billing", 2, 1)
    assert ticket["sla_due_at"] == "2026-11-23T23:00:00Z" and ticket["overdue"] is False
    assert [(e["seq"], e["action"], e["actor"], e["to_status"]) for e in ticket["history"]] == [
        (1, "created", "agent:ana", "open")]
    # and it is on the customer's screen pop
    assert profile_store.get_profile("cust-ada").tickets.latest.ticket_id == ticket["ticket_id"]
    # When the same request arrives again (a retry), the ticket it created comes back: 200, no second ticket
    again = api.send(load_event("tickets/api_create_ticket"))
    assert (again.status, again.body["ticket_id"]) == (200, ticket["ticket_id"])
    assert len(ticket_store.tickets_of_customer("cust-ada")) == 1


def test_a_request_id_is_the_callers_own_and_not_reusable_for_another_request(api: TicketApi) -> None:
    # Given Ana opened a ticket for Ada with request id req-1
    ana = api.create(request_id="req-1")
    assert ana.status == 201
    # When Ben uses the same request id for another customer, he gets a new ticket of his own, not Ana's
    ben = api.create(request_id="req-1", customer_id="cust-grace", agent="ben")
    assert ben.status == 201, ben.body
    assert (ben.body["customer_id"], ben.body["history"][0]["actor"]) == ("cust-grace", "agent:ben")
    assert ben.body["ticket_id"] != ana.body["ticket_id"]
    # When Ana sends her request again (a retry), she gets her ticket back
    again = api.create(request_id="req-1")
    assert (again.status, again.body["ticket_id"]) == (200, ana.body["ticket_id"])
    # When Ana sends another request under the same request id, it is refused and nothing is created
    reused = api.create(request_id="req-1", subject="Another problem")
    assert (reused.status, reused.body["error"]) == (422, "request_id_reused")
    assert "new request_id" in reused.message
    assert [t.ticket_id for t in ticket_store.tickets_of_customer("cust-ada")] == [ana.body["ticket_id"]]
    assert [t.ticket_id for t in ticket_store.tickets_of_customer("cust-grace")] == [ben.body["ticket_id"]]


def test_get_returns_the_ticket_with_its_history(api: TicketApi) -> None:
    ticket = opened(api, note="first words")
    reply = api.send(with_ticket(load_event("tickets/api_get_ticket"), ticket["ticket_id"]))
    assert reply.status == 200
    assert reply.body == ticket


def test_changes_follow_each_other_version_by_version(api: TicketApi) -> None:
    ticket = opened(api)
    tid = ticket["ticket_id"]
    status = api.send(with_ticket(load_event("tickets/api_change_status"), tid))  # in_progress, version 1
    assert (status.status, status.body["status"], status.body["version"]) == (200, "in_progress", 2)
    assign = api.change(tid, "assign", {"agent": "ben", "expected_version": 2})
    assert (assign.status, assign.body["agent"], assign.body["version"]) == (200, "ben", 3)
    priority = api.change(tid, "priority", {"priority": 1, "expected_version": 3})
    assert (priority.status, priority.body["priority"], priority.body["sla_due_at"]) == (
        200, 1, "2026-11-23T19:00:00Z")
    note = api.change(tid, "notes", {"text": "called the bank", "contact_id": "c-2"})
    assert (note.status, note.body["version"], note.body["contact_ids"]) == (200, 5, ["c-2"])
    escalated = api.change(tid, "escalate", {"team": "senior", "reason": "needs a refund over the limit",
                                             "expected_version": 5})
    assert escalated.status == 200
    assert (escalated.body["status"], escalated.body["team"], escalated.body["agent"]) == ("escalated", "senior", None)
    assert [e["action"] for e in escalated.body["history"]] == [
        "created", "status", "assigned", "priority", "note", "escalated"]
    # billing no longer owns it: senior's queue has it, billing's does not
    senior = api.call("GET", "/teams/{team}/tickets", team="senior", groups="[team-senior]")
    billing = api.call("GET", "/teams/{team}/tickets", team="billing")
    assert [t["ticket_id"] for t in senior.body["tickets"]] == [tid]
    assert billing.body == {"tickets": [], "count": 0}


def test_lists_by_customer_and_by_team(api: TicketApi) -> None:
    urgent = opened(api, subject="Card blocked", priority=1)
    normal = opened(api, subject="Invoice copy")
    closed = opened(api, subject="Wrong address")
    assert api.change(closed["ticket_id"], "status", {"status": "closed", "expected_version": 1}).status == 200

    open_only = api.call("GET", "/customers/{customer_id}/tickets", customer_id="cust-ada")
    everything = api.call("GET", "/customers/{customer_id}/tickets", customer_id="cust-ada",
                          query={"include_closed": "true"})
    queue = api.call("GET", "/teams/{team}/tickets", team="billing")

    assert open_only.status == everything.status == queue.status == 200
    assert {t["ticket_id"] for t in open_only.body["tickets"]} == {urgent["ticket_id"], normal["ticket_id"]}
    assert everything.body["count"] == 3
    assert [t["ticket_id"] for t in queue.body["tickets"]] == [urgent["ticket_id"], normal["ticket_id"]]  # due first
    assert "history" not in queue.body["tickets"][0]  # lists stay small; GET /tickets/{id} has it


def test_overdue_lists_open_tickets_past_their_sla(api: TicketApi) -> None:
    late = opened(api, subject="Card blocked", priority=1)  # due NOW + 4 h
    opened(api, subject="Invoice copy", priority=4)  # due NOW + 72 h
    api.backend.now = NOW + timedelta(hours=5)
    reply = api.call("GET", "/tickets/overdue")
    assert reply.status == 200
    assert [(t["ticket_id"], t["overdue"]) for t in reply.body["tickets"]] == [(late["ticket_id"], True)]


def test_a_service_caller_signs_with_iam_under_the_service_prefix(api: TicketApi) -> None:
    reply = api.send(load_event("tickets/api_service_create_ticket"))
    assert reply.status == 201
    assert reply.body["history"][0]["actor"].startswith("service:arn:aws:sts::123456789012:assumed-role/")
    # a service caller may read and change any ticket
    tid = reply.body["ticket_id"]
    read = api.call("GET", "/tickets/{ticket_id}", service=True, ticket_id=tid)
    moved = api.call("POST", "/tickets/{ticket_id}/status", {"status": "in_progress", "expected_version": 1},
                     service=True, ticket_id=tid)
    assert (read.status, moved.status) == (200, 200)


# --- who may call ------------------------------------------------------------------------------------------

def test_no_identity_is_401(api: TicketApi) -> None:
    reply = api.send(load_event("tickets/api_no_identity"))
    assert reply.status == 401
    assert reply.body["error"] == "not_authenticated" and "Cognito" in reply.message


def test_an_anonymous_caller_gets_401_even_with_a_malformed_body(api: TicketApi) -> None:
    """Authentication comes first: an anonymous caller learns nothing about the request format."""
    event = load_event("tickets/api_malformed_body")
    del event["requestContext"]["authorizer"]
    assert api.send(event).status == 401


def test_an_iam_identity_is_refused_on_agent_routes(api: TicketApi) -> None:
    event = load_event("tickets/api_service_create_ticket")
    event.update(path="/tickets", resource="/tickets")  # the same signed request, without /service
    reply = api.send(event)
    assert reply.status == 401 and "/service" in reply.message
    assert ticket_store.tickets_of_customer("cust-grace") == []


def test_an_agent_token_is_refused_on_service_routes(api: TicketApi) -> None:
    event = load_event("tickets/api_create_ticket")
    event.update(path="/service/tickets", resource="/service/tickets")
    reply = api.send(event)
    assert reply.status == 401 and "IAM" in reply.message
    assert ticket_store.tickets_of_customer("cust-ada") == []


def test_another_teams_restricted_ticket_is_403_and_hidden_from_lists(api: TicketApi) -> None:
    secret = opened(api, restricted=True, subject="Fraud investigation")
    support = {"agent": "sam", "groups": "[team-support]"}
    reply = api.get(secret["ticket_id"], **support)
    assert reply.status == 403 and "restricted to the billing team" in reply.message
    listed = api.call("GET", "/customers/{customer_id}/tickets", customer_id="cust-ada", **support)
    assert listed.body["tickets"] == []
    # a supervisor (comma-separated groups claim) sees it
    assert api.get(secret["ticket_id"], agent="sue", groups="team-support,supervisors").status == 200


def test_the_overdue_list_hides_another_teams_restricted_tickets(api: TicketApi) -> None:
    # Given two overdue tickets of billing, one restricted
    secret = opened(api, restricted=True, priority=1, subject="Fraud investigation")
    public = opened(api, priority=1, subject="Card blocked")
    api.backend.now = NOW + timedelta(hours=5)
    # When an agent of support, one of billing and a supervisor list what is overdue
    support = api.call("GET", "/tickets/overdue", agent="sam", groups="[team-support]")
    billing = api.call("GET", "/tickets/overdue")
    supervisor = api.call("GET", "/tickets/overdue", agent="sue", groups="[team-support supervisors]")
    # Then support sees only the unrestricted one; billing and the supervisor see both
    assert support.status == 200
    assert [t["ticket_id"] for t in support.body["tickets"]] == [public["ticket_id"]]
    both = {secret["ticket_id"], public["ticket_id"]}
    assert {t["ticket_id"] for t in billing.body["tickets"]} == both
    assert {t["ticket_id"] for t in supervisor.body["tickets"]} == both


def test_an_agent_outside_the_team_cannot_change_the_ticket(api: TicketApi) -> None:
    ticket = opened(api)
    reply = api.change(ticket["ticket_id"], "status", {"status": "resolved", "expected_version": 1},
                       agent="sam", groups="[team-support]")
    assert reply.status == 403 and "only the billing team" in reply.message
    assert api.get(ticket["ticket_id"]).body["status"] == "open"


# --- bad requests get a clear 4xx and change nothing ----------------------------------------------------------

@pytest.mark.parametrize(("action", "body", "status", "says"), [
    ("status", '{"status": "resolved", "expected_version": 1', 400, "not valid JSON"),
    ("status", {"status": "done", "expected_version": 1}, 422,
     "body.status: Invalid enum value 'done'; expected one of 'open'"),
    ("status", {"status": "resolved"}, 422, "body.expected_version: Field required"),
    ("status", {"status": "resolved", "expected_version": "1"}, 422,
     "body.expected_version: Expected `int`, got `str`"),
    ("status", {"status": "resolved", "expected_version": 0}, 422, "body.expected_version: Expected `int` >= 1"),
    ("status", {"status": "resolved", "expected_version": 1, "sttus": "x"}, 422, "body.sttus: unknown field"),
    ("status", ["resolved", 1], 422, "body: must be a JSON object"),
    ("status", None, 422, "body: a JSON object is required"),
    ("priority", {"priority": 9, "expected_version": 1}, 422, "body.priority: Expected `int` <= 4"),
    ("priority", {"priority": 0, "expected_version": 1}, 422, "body.priority: Expected `int` >= 1"),
    ("priority", {"priority": 2.5, "expected_version": 1}, 422, "body.priority"),
    ("priority", {"priority": 3, "expected_version": 1}, 422, "already has priority 3"),
    ("assign", {"agent": "", "expected_version": 1}, 422, "body.agent"),
    ("escalate", {"team": "billing", "reason": "x", "expected_version": 1}, 422, "already with the billing team"),
    ("escalate", {"team": "nowhere", "reason": "x", "expected_version": 1}, 422, "unknown team 'nowhere'"),
    ("notes", {"text": "x" * 2001}, 422, "body.text"),
])
def test_a_bad_change_gets_a_clear_4xx_and_writes_nothing(api: TicketApi, action: str, body: Any, status: int,
                                                         says: str) -> None:
    ticket = opened(api)
    reply = api.change(ticket["ticket_id"], action, body)
    assert reply.status == status, reply.body
    assert says in reply.message
    assert api.get(ticket["ticket_id"]).body == ticket


def test_the_malformed_sample_event_is_a_400(api: TicketApi) -> None:
    ticket = opened(api)
    reply = api.send(with_ticket(load_event("tickets/api_malformed_body"), ticket["ticket_id"]))
    assert (reply.status, reply.body["error"]) == (400, "malformed_json")


@pytest.mark.parametrize(("fields", "says"), [
    ({"category": "gossip"}, "body.category: Invalid enum value 'gossip'; expected one of 'billing'"),
    ({"priority": 5}, "body.priority"),
    ({"priority": True}, "body.priority: Expected `int`, got `bool`"),
    ({"restricted": "yes"}, "body.restricted: Expected `bool`, got `str`"),
    ({"subject": ""}, "body.subject"),
    ({"team": "nowhere"}, "unknown team 'nowhere'"),
    ({"customer_id": "a" * 65}, "body.customer_id"),
])
def test_a_bad_new_ticket_gets_a_422_and_nothing_is_created(api: TicketApi, fields: dict, says: str) -> None:
    reply = api.create(**fields)
    assert reply.status == 422 and says in reply.message, reply.body
    assert ticket_store.tickets_of_customer("cust-ada") == []


def test_a_body_that_is_not_json_by_content_type_is_415(api: TicketApi) -> None:
    event = load_event("tickets/api_create_ticket")
    event["headers"]["Content-Type"] = "text/plain"
    event["multiValueHeaders"]["Content-Type"] = ["text/plain"]
    assert api.send(event).status == 415


def test_an_absurd_ticket_id_is_a_422_not_a_store_error(api: TicketApi) -> None:
    reply = api.get("T" * 3000)
    assert reply.status == 422 and "ticket_id" in reply.message


# --- conflicts -----------------------------------------------------------------------------------------------

def test_two_agents_change_the_same_version_one_wins_the_other_gets_409_and_nothing_is_lost(api: TicketApi) -> None:
    ticket = opened(api)
    tid = ticket["ticket_id"]
    # Given Ana and Ben both read version 1
    # When Ana moves it to in_progress and Ben assigns it, both from version 1
    ana = api.change(tid, "status", {"status": "in_progress", "expected_version": 1, "note": "on it"}, agent="ana")
    ben = api.change(tid, "assign", {"agent": "ben", "expected_version": 1}, agent="ben")
    # Then Ana wins, Ben gets a conflict naming the current version, and nothing of his was written
    assert ana.status == 200
    assert (ben.status, ben.body["error"], ben.body["current_version"]) == (409, "version_conflict", 2)
    assert "nothing was written" in ben.message
    current = api.get(tid, agent="ben")
    assert (current.body["status"], current.body["agent"], current.body["version"]) == ("in_progress", None, 2)
    # When Ben reads again and retries, both changes are kept
    retried = api.change(tid, "assign", {"agent": "ben", "expected_version": current.body["version"]}, agent="ben")
    assert retried.status == 200
    assert (retried.body["status"], retried.body["agent"]) == ("in_progress", "ben")
    assert [(e["action"], e["actor"]) for e in retried.body["history"]] == [
        ("created", "agent:ana"), ("status", "agent:ana"), ("assigned", "agent:ben")]


def test_a_forbidden_transition_is_409_with_the_allowed_ones(api: TicketApi) -> None:
    ticket = opened(api)
    tid = ticket["ticket_id"]
    assert api.change(tid, "status", {"status": "in_progress", "expected_version": 1}).status == 200
    reply = api.change(tid, "status", {"status": "open", "expected_version": 2})
    assert (reply.status, reply.body["error"], reply.body["current_status"]) == (409, "transition_not_allowed",
                                                                                 "in_progress")
    assert reply.body["allowed"] == ["escalated", "resolved", "waiting_on_customer"]
    assert "cannot become open" in reply.message
    assert api.get(tid).body["version"] == 2


def test_notes_cannot_freeze_a_ticket_its_team_still_works_it(api: TicketApi) -> None:
    from functions.tickets import ticket as domain
    from functions.tickets.ticket import Actor, ActorKind

    # Given a ticket that agents of another team keep adding the longest notes to (4 bytes a character in
    # UTF-8): the first 30 stored in one write to save time, the rest through the API
    ticket = opened(api)
    tid = ticket["ticket_id"]
    long_note = "\U0001f4de" * 2000
    sam = Actor("sam", ActorKind.AGENT, frozenset({"support"}))
    noted = ticket_store.get_ticket(tid)
    for _ in range(30):
        noted = domain.add_note(noted, long_note, actor=sam, now=NOW)
    ticket_store.save_change(noted)
    added = 30
    for _ in range(30):
        reply = api.change(tid, "notes", {"text": long_note}, agent="sam", groups="[team-support]")
        if reply.status != 200:
            break
        added += 1
    # Then a note is refused once the ticket has no room for it: a clear 4xx, not a 503 to retry
    assert (reply.status, reply.body["error"]) == (422, "ticket_full"), reply.body
    assert "no room for this note" in reply.message and "new ticket" in reply.message
    assert 30 < added < 60  # the old count limit (300 entries) let 8 KB notes run far past 400 KB
    full = api.get(tid).body
    assert full["version"] == 2 + (added - 30)
    size = ticket_store.item_size(ticket_store.TicketItem.get(tid))
    assert ticket_store.NOTE_LIMIT_BYTES - 9000 < size <= ticket_store.NOTE_LIMIT_BYTES
    # and its team still changes its status, priority, assignment and team
    version = full["version"]
    for action, body in [("status", {"status": "in_progress", "note": "calling the bank"}),
                         ("priority", {"priority": 2}), ("assign", {"agent": "ben"}),
                         ("escalate", {"team": "senior", "reason": "refund over the limit"})]:
        reply = api.change(tid, action, {**body, "expected_version": version})
        assert reply.status == 200, (action, reply.body)
        version = reply.body["version"]
    assert ticket_store.item_size(ticket_store.TicketItem.get(tid)) < ticket_store.MAX_TICKET_BYTES
    assert ticket_store.MAX_TICKET_BYTES < ticket_store.DYNAMODB_ITEM_LIMIT_BYTES


def test_a_note_that_keeps_losing_its_race_is_a_true_409_and_no_real_time_is_waited(
        api: TicketApi, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from functions.tickets.ticket import VersionConflict

    ticket = opened(api)

    def another_change_first(changed: Any, **kwargs: Any) -> Any:
        raise VersionConflict(changed.ticket_id, changed.version, changed.version + 1)

    def no_sleeping(seconds: float) -> None:
        raise AssertionError("the local runtime's clock is simulated: retries must not sleep")

    monkeypatch.setattr(ticket_store, "save_change", another_change_first)
    monkeypatch.setattr(time, "sleep", no_sleeping)
    reply = api.change(ticket["ticket_id"], "notes", {"text": "called the bank"})
    assert (reply.status, reply.body["error"]) == (409, "version_conflict")
    assert "changed by others on each of" in reply.message and "send the note again" in reply.message
    assert "you sent version" not in reply.message


# --- not found -----------------------------------------------------------------------------------------------

def test_unknown_ticket_customer_team_and_route_are_404(api: TicketApi) -> None:
    assert api.get("T261123FFFFFF").status == 404
    assert api.change("T261123FFFFFF", "notes", {"text": "hello"}).status == 404
    unknown_customer = api.create(customer_id="cust-nobody")
    assert unknown_customer.status == 404 and "no customer cust-nobody" in unknown_customer.message
    assert api.call("GET", "/customers/{customer_id}/tickets", customer_id="cust-nobody").status == 404
    assert api.call("GET", "/customers/{customer_id}/tickets", customer_id="cust-grace").status == 200  # none yet
    unknown_team = api.call("GET", "/teams/{team}/tickets", team="nowhere")
    assert unknown_team.status == 404 and "billing" in unknown_team.message
    assert api.call("DELETE", "/tickets/{ticket_id}", ticket_id="T261123FFFFFF").status == 404


# --- the store does not answer --------------------------------------------------------------------------------

def test_a_throttled_table_is_503_with_retry_after_and_nothing_is_written(api: TicketApi) -> None:
    ticket = opened(api)
    api.backend.faults = {"ticket-api": "throttle"}
    try:
        create = api.create(subject="Second problem")
        change = api.change(ticket["ticket_id"], "status", {"status": "resolved", "expected_version": 1})
    finally:
        api.backend.faults = {}
    for reply in (create, change):
        assert (reply.status, reply.body["error"]) == (503, "store_unavailable")
        assert reply.headers["Retry-After"] == ["2"]
    assert [t.ticket_id for t in ticket_store.tickets_of_customer("cust-ada")] == [ticket["ticket_id"]]
    assert api.get(ticket["ticket_id"]).body == ticket
    assert profile_store.get_profile("cust-ada").tickets.open_count == 1


# --- observability -------------------------------------------------------------------------------------------

def test_logs_and_metrics_carry_route_status_and_ticket_id_but_no_customer_data(api: TicketApi, caplog) -> None:
    caplog.set_level("INFO")  # the deployed level
    ticket = opened(api, subject="Ada Lovelace's card ending 0100", note="call back on +1 415 555 0100")
    api.change(ticket["ticket_id"], "notes", {"text": "Spoke to Ada Lovelace on 4155550100"})
    api.create(customer_id="cust-nobody")
    api.send(load_event("tickets/api_no_identity"))
    formatter = logger.registered_formatter
    output = "\n".join(formatter.format(record) for record in caplog.records)
    records = [json.loads(line) for line in output.splitlines()]
    requests = [r for r in records if r.get("message") == "ticket api request"]
    assert [(r["route"], r["status_code"], r.get("ticket_id")) for r in requests] == [
        ("POST /tickets", 201, ticket["ticket_id"]),
        ("POST /tickets/{ticket_id}/notes", 200, ticket["ticket_id"]),
        ("POST /tickets", 404, None),
        ("GET /tickets/overdue", 401, None),
    ]
    for secret in ("Ada", "Lovelace", "4155550100", "555 0100", "card ending", "Spoke to"):
        assert secret not in output
    metrics = api.backend.metrics
    by_route = {dict(dims)["route"]: count for (name, dims), count in metrics.items()
                if name == "TicketApiRequests" and dict(dims).get("status_class") == "2xx"}
    assert by_route == {"POST /tickets": 1, "POST /tickets/{ticket_id}/notes": 1}
    assert api.backend.metric_total("TicketApi4xx") == 2


def test_each_route_makes_few_dynamodb_requests(api: TicketApi) -> None:
    """The reads the routes promise: one GetItem for a ticket, one Query for a list, read+transaction for a change."""
    ticket = opened(api)
    DynamoDBTraffic.reset()
    api.get(ticket["ticket_id"])
    assert DynamoDBTraffic.calls == {"GetItem": 1}
    DynamoDBTraffic.reset()
    api.call("GET", "/teams/{team}/tickets", team="billing")
    assert DynamoDBTraffic.calls == {"Query": 1}
    DynamoDBTraffic.reset()
    api.change(ticket["ticket_id"], "status", {"status": "in_progress", "expected_version": 1})
    assert DynamoDBTraffic.calls == {"GetItem": 1, "TransactWriteItems": 1}
