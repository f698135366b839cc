"""The tickets API's routes for live hints and alerts (functions/insights/), which the agent desktop polls.

- `GET /contacts/{contact_id}/insights`: the contact's live hints and alerts, for the agents of the contact's team
  (the queue it was routed to, recorded with each hint) and for supervisors (and IAM service callers). A contact
  with no hint (yet) answers an empty list to any agent: nothing is shown, so nothing is revealed.
- `GET /teams/{team}/alerts`: a team's recent alerts (kind "alert"), for the supervisor view: supervisors and
  the team's agents.

A Powertools Router, included by functions/tickets/api.py, which maps the refusals (AccessDenied 403,
InsightStoreUnavailable 503) like the ticket routes'; the routes are declared in a RouteTable
(functions/tickets/api_contract.py), which checks the path parameters (422) and adds them to the API's document.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from msgspec import Meta, Struct

from functions.common.clock import utc_now
from functions.insights import store as insight_store
from functions.insights.hint import CONTACT_ID_PATTERN, TEAM_PATTERN, Hint, Kind, Severity
from functions.tickets.api_contract import Answer, Param, RouteTable
from functions.tickets.ticket import AccessDenied, Actor, ActorKind

router = Router()


class HintOut(Struct, frozen=True, kw_only=True):
    rule: str
    kind: Kind
    severity: Severity
    text: str
    team: str
    at: datetime

    @classmethod
    def of(cls, hint: Hint) -> HintOut:
        return cls(rule=hint.rule, kind=hint.kind, severity=hint.severity, text=hint.text, team=hint.team,
                   at=hint.at)


class ContactInsights(Struct, frozen=True, kw_only=True):
    contact_id: str
    hints: list[HintOut]
    count: int


class AlertOut(HintOut, kw_only=True):
    contact_id: str

    @classmethod
    def of(cls, hint: Hint) -> AlertOut:
        return cls(rule=hint.rule, kind=hint.kind, severity=hint.severity, text=hint.text, team=hint.team,
                   at=hint.at, contact_id=hint.contact_id)


class TeamAlerts(Struct, frozen=True, kw_only=True):
    team: str
    alerts: list[AlertOut]
    count: int


def _sees_everything(actor: Actor) -> bool:
    return actor.supervisor or actor.kind in (ActorKind.SERVICE, ActorKind.SYSTEM)


def visible_hints(actor: Actor, hints: list[Hint]) -> list[Hint]:
    """The hints this caller may read, or AccessDenied when every hint is another team's."""
    if _sees_everything(actor) or not hints:
        return hints
    mine = [hint for hint in hints if hint.team in actor.teams]
    if not mine:
        raise AccessDenied("this contact's hints are for the agents of its team and for supervisors")
    return mine


def _actor() -> Actor:
    return router.context["actor"]


#: The routes here (functions/tickets/api_contract.py): the API adds them to its route table, from which its OpenAPI
#: document is built and its requests are labelled.
ROUTE_TABLE = RouteTable(router)


@ROUTE_TABLE.declare("GET", "/contacts/<contact_id>/insights",
                     summary="A live contact's hints and alerts (the desktop polls it)",
                     params=[Param("contact_id", Annotated[str, Meta(pattern=CONTACT_ID_PATTERN)])], errors=(403,),
                     ok=Answer(200, "The hints this caller may read (none yet: an empty list)", ContactInsights))
def contact_insights(contact_id: str) -> ContactInsights:
    hints = visible_hints(_actor(), insight_store.contact_hints(contact_id, utc_now()))
    return ContactInsights(contact_id=contact_id, hints=[HintOut.of(h) for h in hints], count=len(hints))


@ROUTE_TABLE.declare("GET", "/teams/<team>/alerts",
                     summary="A team's recent alerts, newest first (the supervisor view)",
                     params=[Param("team", Annotated[str, Meta(pattern=TEAM_PATTERN)])], errors=(403,),
                     ok=Answer(200, "OK", TeamAlerts))
def team_alerts(team: str) -> TeamAlerts:
    actor = _actor()
    if not _sees_everything(actor) and team not in actor.teams:
        raise AccessDenied("a team's alerts are for supervisors and the team's agents")
    alerts = insight_store.team_alerts(team, utc_now())
    return TeamAlerts(team=team, alerts=[AlertOut.of(h) for h in alerts], count=len(alerts))
