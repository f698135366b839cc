"""The tickets API's routes for live hints and alerts (functions/insights/), which the agent desktop polls.

- `GET /contacts/{contact_id}/insights`: the contact's live hints and alerts, for the agents of the contact's team
  (the queue it was routed to, recorded with each hint) and for supervisors (and IAM service callers). A contact
  with no hint (yet) answers an empty list to any agent: nothing is shown, so nothing is revealed.
- `GET /teams/{team}/alerts`: a team's recent alerts (kind "alert"), for the supervisor view: supervisors and
  the team's agents.

A Powertools Router, included by functions/tickets/api.py, which maps the refusals (AccessDenied 403,
InsightStoreUnavailable 503) like the ticket routes'.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, ConfigDict

from functions.common.clock import utc_now
from functions.insights import store as insight_store
from functions.insights.hint import CONTACT_ID_PATTERN, TEAM_PATTERN, Hint, Kind, Severity
from functions.tickets.ticket import AccessDenied, Actor, ActorKind

router = Router()


class _Model(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built on first use, as functions/tickets/api.py's models


class HintOut(_Model):
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


class ContactInsights(_Model):
    contact_id: str
    hints: list[HintOut]
    count: int


class AlertOut(HintOut):
    contact_id: str


class TeamAlerts(_Model):
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


#: (method, path) of each route here, in the OpenAPI form; the API adds them to its DECLARED_ROUTES, which labels
#: requests without building the OpenAPI document on a cold start.
ROUTES: list[tuple[str, str]] = []


def _get(rule: str, **options: Any) -> Any:
    ROUTES.append(("GET", re.sub(r"<(\w+)>", r"{\1}", rule)))
    return router.get(rule, **options)


@_get("/contacts/<contact_id>/insights", summary="A live contact's hints and alerts (the desktop polls it)",
     responses={403: {"description": "The contact is another team's"}})
def contact_insights(contact_id: Annotated[str, Path(pattern=CONTACT_ID_PATTERN)]) -> ContactInsights:
    hints = visible_hints(_actor(), insight_store.contact_hints(contact_id, utc_now()))
    return ContactInsights(contact_id=contact_id, hints=[HintOut.of(h) for h in hints], count=len(hints))


@_get("/teams/<team>/alerts", summary="A team's recent alerts, newest first (the supervisor view)",
     responses={403: {"description": "Neither a supervisor nor an agent of the team"}})
def team_alerts(team: Annotated[str, Path(pattern=TEAM_PATTERN)]) -> TeamAlerts:
    actor = _actor()
    if not _sees_everything(actor) and team not in actor.teams:
        raise AccessDenied("a team's alerts are for supervisors and the team's agents")
    alerts = insight_store.team_alerts(team, utc_now())
    return TeamAlerts(team=team, alerts=[AlertOut(contact_id=h.contact_id, **HintOut.of(h).model_dump())
                                         for h in alerts], count=len(alerts))
