"""Calling the ticket API locally: the request API Gateway would send the ticket-api function, and its answer.

The `callcenter tickets` commands and the simulated day go through the real handler
(functions/tickets/api_handler.lambda_handler, via LocalBackend.invoke_lambda), so what they show is what
an agent's desktop would get: the same validation, access rules, status codes and error bodies. This
module plays the two AWS parts in front of it:

- the REST proxy event API Gateway builds for one route (`resource` with `{param}`, `path`,
  `pathParameters`, query parameters in both their single and multi-value forms, a JSON body);
- the Cognito user pool authorizer: a signed-in agent arrives as `requestContext.authorizer.claims`
  with `cognito:username` and `cognito:groups` ("[team-billing supervisors]", as API Gateway passes
  the groups claim), which the API turns into the agent's teams and supervisor flag.

Answers of 400 and above raise `ApiError` with the status and the API's error body
(`{"error", "message", "current_version"?, "allowed"?, "detail"?}`), so a caller can print it as it is.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from callcenter.backend import ACCOUNT, LocalBackend, function_arn

API_FUNCTION = "ticket-api"
STAGE = "local"
TEAM_GROUP_PREFIX = "team-"
SUPERVISORS_GROUP = "supervisors"


@dataclass(frozen=True)
class Agent:
    """A signed-in agent as the user pool knows them: a user name and groups (team-<queue>, supervisors)."""

    name: str
    teams: tuple[str, ...] = ()
    supervisor: bool = False

    @property
    def groups(self) -> list[str]:
        return [f"{TEAM_GROUP_PREFIX}{team}" for team in self.teams] + ([SUPERVISORS_GROUP] if self.supervisor else [])

    def claims(self) -> dict[str, str]:
        claims = {"sub": str(uuid.uuid5(uuid.NAMESPACE_URL, f"local-agent:{self.name}")),
                  "cognito:username": self.name, "token_use": "id"}
        if self.groups:
            claims["cognito:groups"] = "[" + " ".join(self.groups) + "]"
        return claims


class ApiError(Exception):
    """The API refused the request (status >= 400); `body` is its JSON error body."""

    def __init__(self, status: int, body: Mapping[str, Any] | None = None) -> None:
        self.status = status
        self.body = dict(body or {})
        super().__init__(self.describe())

    @property
    def code(self) -> str:
        return str(self.body.get("error") or "")

    @property
    def message(self) -> str:
        return str(self.body.get("message") or "")

    def describe(self) -> str:
        """One line per problem: "409 version_conflict: ticket ... was changed by someone else ..."."""
        lines = [f"{self.status} {self.code or 'error'}: {self.message or 'no message'}"]
        details = self.body.get("detail") or []
        if len(details) > 1:
            lines += [f"  - {d.get('msg', d)}" if isinstance(d, Mapping) else f"  - {d}" for d in details]
        return "\n".join(lines)


def _resource_path(template: str, params: Mapping[str, str]) -> str:
    path = template
    for name, value in params.items():
        path = path.replace("{" + name + "}", quote(str(value), safe=""))
    return path


def rest_event(method: str, template: str, agent: Agent, *, params: Mapping[str, str] | None = None,
               query: Mapping[str, str] | None = None, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The API Gateway REST proxy event for one route (e.g. "POST", "/tickets/{ticket_id}/status")."""
    params = dict(params or {})
    path = _resource_path(template, params)
    headers = {"Accept": "application/json", "Host": "tickets.local"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    request_id = str(uuid.uuid4())
    return {
        "resource": template,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": dict(query) if query else None,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": params or None,
        "stageVariables": None,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": "local",
            "httpMethod": method,
            "path": f"/{STAGE}{path}",
            "resourcePath": template,
            "stage": STAGE,
            "requestId": request_id,
            "identity": {"sourceIp": "127.0.0.1", "userAgent": "callcenter-cli", "userArn": None},
            "authorizer": {"claims": agent.claims()},
        },
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }


class TicketApi:
    """The ticket API as one agent calls it, on a local backend. Each method is one request."""

    def __init__(self, backend: LocalBackend, agent: Agent) -> None:
        from functions.manifest import FUNCTIONS

        self.backend = backend
        self.agent = agent
        self.timeout_s = FUNCTIONS[API_FUNCTION].timeout_seconds

    def as_agent(self, agent: Agent) -> TicketApi:
        return TicketApi(self.backend, agent)

    def request(self, method: str, template: str, *, params: Mapping[str, str] | None = None,
                query: Mapping[str, str] | None = None, body: Mapping[str, Any] | None = None) -> tuple[int, Any]:
        """(status, parsed JSON body) for a success; ApiError for 400 and above.

        A failure of the function itself (LambdaInvocationError) propagates: API Gateway would answer 502.
        """
        event = rest_event(method, template, self.agent, params=params, query=query, body=body)
        response = self.backend.invoke_lambda(function_arn(API_FUNCTION), event, self.timeout_s)
        status = int(response.get("statusCode", 502))
        raw = response.get("body")
        try:
            parsed = json.loads(raw) if raw else None
        except (TypeError, ValueError):
            parsed = {"error": "unreadable_response", "message": str(raw)[:200]}
        if status >= 400:
            raise ApiError(status, parsed if isinstance(parsed, dict) else {"message": str(parsed)})
        return status, parsed

    # --- the routes ---------------------------------------------------------------------------------
    def create(self, **fields: Any) -> tuple[bool, dict[str, Any]]:
        """(created, ticket): created is False when the request_id had already created it (200, not 201)."""
        status, ticket = self.request("POST", "/tickets", body={k: v for k, v in fields.items() if v is not None})
        return status == 201, ticket

    def get(self, ticket_id: str) -> dict[str, Any]:
        return self.request("GET", "/tickets/{ticket_id}", params={"ticket_id": ticket_id})[1]

    def customer_tickets(self, customer_id: str, include_closed: bool = False) -> list[dict[str, Any]]:
        query = {"include_closed": "true"} if include_closed else None
        return self.request("GET", "/customers/{customer_id}/tickets", params={"customer_id": customer_id},
                            query=query)[1]["tickets"]

    def team_tickets(self, team: str) -> list[dict[str, Any]]:
        return self.request("GET", "/teams/{team}/tickets", params={"team": team})[1]["tickets"]

    def overdue(self) -> list[dict[str, Any]]:
        return self.request("GET", "/tickets/overdue")[1]["tickets"]

    def _change(self, ticket_id: str, action: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.request("POST", "/tickets/{ticket_id}/" + action, params={"ticket_id": ticket_id},
                            body={k: v for k, v in body.items() if v is not None})[1]

    def change_status(self, ticket_id: str, status: str, expected_version: int, note: str | None = None,
                      contact_id: str | None = None) -> dict[str, Any]:
        return self._change(ticket_id, "status", {"status": status, "expected_version": expected_version,
                                                  "note": note, "contact_id": contact_id})

    def assign(self, ticket_id: str, agent: str, expected_version: int) -> dict[str, Any]:
        return self._change(ticket_id, "assign", {"agent": agent, "expected_version": expected_version})

    def escalate(self, ticket_id: str, team: str, reason: str, expected_version: int,
                 priority: int | None = None) -> dict[str, Any]:
        return self._change(ticket_id, "escalate", {"team": team, "reason": reason,
                                                    "expected_version": expected_version, "priority": priority})

    def change_priority(self, ticket_id: str, priority: int, expected_version: int) -> dict[str, Any]:
        return self._change(ticket_id, "priority", {"priority": priority, "expected_version": expected_version})

    def add_note(self, ticket_id: str, text: str, contact_id: str | None = None) -> dict[str, Any]:
        return self._change(ticket_id, "notes", {"text": text, "contact_id": contact_id})
