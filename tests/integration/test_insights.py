"""Live hints and alerts (functions/insights/): the write API the sentiment consumer will call, the table on moto,
and GET /contacts/{contact_id}/insights and /teams/{team}/alerts through the real ticket-api handler."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from callcenter.api_client import Agent, ApiError, TicketApi
from callcenter.backend import DynamoDBTraffic
from functions.insights.hint import EXPIRY, InsightStoreUnavailable, InvalidHint, Kind
from functions.insights.store import InsightItem, contact_hints, record_hint, team_alerts

NOW = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)
CONTACT = "6ff4edb5-2c72-4dba-8355-cae127a4aefc"


def test_recording_the_same_rule_again_replaces_it_and_never_duplicates(backend: Any) -> None:
    record_hint(CONTACT, "sentiment.negative", "Caller sounds upset", team="billing", at=NOW)
    record_hint(CONTACT, "sentiment.negative", "Caller sounds upset", team="billing", at=NOW)
    record_hint(CONTACT, "sentiment.negative", "Caller very upset", team="billing", at=NOW + timedelta(seconds=30))
    record_hint(CONTACT, "offer.callback", "Offer a callback", team="billing", at=NOW + timedelta(seconds=40))

    hints = contact_hints(CONTACT, NOW + timedelta(minutes=1))

    assert [(h.rule, h.text) for h in hints] == [("sentiment.negative", "Caller very upset"),
                                                 ("offer.callback", "Offer a callback")]


def test_a_hint_carries_its_ttl_and_is_not_served_once_expired(backend: Any) -> None:
    record_hint(CONTACT, "sentiment.negative", "Caller sounds upset", team="billing", at=NOW)

    item = InsightItem.get(CONTACT, "sentiment.negative")

    assert item.expires_at == int((NOW + EXPIRY).timestamp())
    assert InsightItem.Meta.ttl_attribute == "expires_at"
    assert contact_hints(CONTACT, NOW + EXPIRY - timedelta(seconds=1))
    assert contact_hints(CONTACT, NOW + EXPIRY) == []  # TTL deletion lags: reads skip it


@pytest.mark.parametrize(("field", "values"), [
    ("contact_id", {"contact_id": "not a contact id"}),
    ("rule", {"rule": "Has Spaces"}),
    ("team", {"team": ""}),
    ("text", {"text": "   "}),
    ("kind", {"kind": "gossip"}),
])
def test_a_hint_that_cannot_be_stored_says_which_field_and_stores_nothing(backend: Any, field: str,
                                                                          values: dict[str, str]) -> None:
    fields = {"contact_id": CONTACT, "rule": "sentiment.negative", "text": "Upset", "team": "billing", **values}
    kind = fields.pop("kind", "hint")

    with pytest.raises(InvalidHint, match=field):
        record_hint(fields["contact_id"], fields["rule"], fields["text"], team=fields["team"], at=NOW, kind=kind)

    assert list(InsightItem.scan()) == []


def test_team_alerts_lists_only_alerts_of_the_team_newest_first(backend: Any) -> None:
    record_hint("c-1", "sentiment.escalate", "Asked for a supervisor", team="billing", at=NOW, kind=Kind.ALERT)
    record_hint("c-2", "sentiment.escalate", "Shouting", team="billing", at=NOW + timedelta(minutes=1),
                kind="alert", severity="critical")
    record_hint("c-3", "sentiment.negative", "Upset", team="billing", at=NOW + timedelta(minutes=2))
    record_hint("c-4", "sentiment.escalate", "Other team", team="sales", at=NOW, kind="alert")

    alerts = team_alerts("billing", NOW + timedelta(minutes=5))

    assert [(a.contact_id, a.text) for a in alerts] == [("c-2", "Shouting"), ("c-1", "Asked for a supervisor")]


def test_a_failing_table_is_insight_store_unavailable(backend: Any) -> None:
    DynamoDBTraffic.throttle = True
    try:
        with pytest.raises(InsightStoreUnavailable):
            record_hint(CONTACT, "sentiment.negative", "Upset", team="billing", at=NOW)
    finally:
        DynamoDBTraffic.throttle = False


# --- the API ---------------------------------------------------------------------------------------------

def insights(backend: Any, agent: Agent, contact_id: str = CONTACT) -> dict[str, Any]:
    backend.now = NOW + timedelta(minutes=1)  # the handler's clock (results never depend on today's date)
    return TicketApi(backend, agent).request("GET", "/contacts/{contact_id}/insights",
                                             params={"contact_id": contact_id})[1]


def test_the_contacts_team_and_supervisors_read_its_hints(backend: Any) -> None:
    record_hint(CONTACT, "sentiment.negative", "Caller sounds upset", team="billing", at=NOW)

    for reader in (Agent("ana", ("billing",)), Agent("sue", supervisor=True)):
        answer = insights(backend, reader)
        assert answer["count"] == 1
        assert answer["hints"][0]["text"] == "Caller sounds upset"
        assert answer["hints"][0]["kind"] == "hint"


def test_another_teams_agent_is_refused_and_a_contact_without_hints_reveals_nothing(backend: Any) -> None:
    record_hint(CONTACT, "sentiment.negative", "Caller sounds upset", team="billing", at=NOW)

    with pytest.raises(ApiError) as refused:
        insights(backend, Agent("sam", ("support",)))
    assert refused.value.status == 403
    assert insights(backend, Agent("sam", ("support",)), contact_id="another-contact") == {
        "contact_id": "another-contact", "hints": [], "count": 0}


def test_insights_need_a_sign_in_and_a_well_formed_contact_id(backend: Any) -> None:
    from callcenter.api_client import rest_event
    from callcenter.backend import function_arn

    event = rest_event("GET", "/contacts/{contact_id}/insights", Agent("ana"), params={"contact_id": CONTACT})
    event["requestContext"]["authorizer"] = None
    assert backend.invoke_lambda(function_arn("ticket-api"), event, 10)["statusCode"] == 401
    with pytest.raises(ApiError) as refused:
        insights(backend, Agent("ana", ("billing",)), contact_id="x" * 200)
    assert refused.value.status == 422


def test_team_alerts_are_for_supervisors_and_the_team(backend: Any) -> None:
    record_hint(CONTACT, "sentiment.escalate", "Asked for a supervisor", team="billing", at=NOW, kind="alert")

    backend.now = NOW + timedelta(minutes=1)
    answer = TicketApi(backend, Agent("sue", supervisor=True)).request(
        "GET", "/teams/{team}/alerts", params={"team": "billing"})[1]
    with pytest.raises(ApiError) as refused:
        TicketApi(backend, Agent("sam", ("support",))).request("GET", "/teams/{team}/alerts",
                                                               params={"team": "billing"})

    assert [a["contact_id"] for a in answer["alerts"]] == [CONTACT]
    assert refused.value.status == 403


def test_a_failing_table_is_a_503_with_retry_after(backend: Any) -> None:
    backend.faults = {"ticket-api": "throttle"}
    try:
        with pytest.raises(ApiError) as refused:
            insights(backend, Agent("ana", ("billing",)))
    finally:
        backend.faults = {}
    assert refused.value.status == 503
    assert refused.value.code == "store_unavailable"
