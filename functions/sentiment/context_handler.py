"""Sentiment context Lambda: the inbound flow invokes it asynchronously right after routing (Connect does not wait:
nothing is added to the caller's wait), with the routing answer's tier, recent complaints and queue; it records
them for the contact (`~context` in the insights table), where the sentiment consumer reads them with the
contact's state in its one Query. So the rules that depend on tier and history need no Connect API call
(GetContactAttributes, 2 per second per account) and the routing path no second read.

Bad input never fails the call: the flow has moved on. A value that does not look like one is dropped (and
counted): the rules then treat the caller as an unknown tier with no complaints, which alerts nobody by mistake.
"""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.clock import utc_now
from functions.common.observability import count_metric, logger, metrics
from functions.common.settings import ClientBounds
from functions.insights.hint import CONTACT_ID_PATTERN, TEAM_PATTERN
from functions.sentiment.store import ContactContext, SentimentItem, save_context
from functions.storage.tables import configure_data_access

DDB_BOUNDS = ClientBounds(connect_timeout_s=1.0, read_timeout_s=2.0, max_attempts=3)
_CONTACT = re.compile(CONTACT_ID_PATTERN)
_TEAM = re.compile(TEAM_PATTERN)
_TIER = re.compile(r"^[a-z]{1,20}$")


def read_context(event: dict[str, Any]) -> tuple[str | None, ContactContext]:
    details = event.get("Details") if isinstance(event, dict) else None
    details = details if isinstance(details, dict) else {}
    contact = details.get("ContactData") if isinstance(details.get("ContactData"), dict) else {}
    parameters = details.get("Parameters") if isinstance(details.get("Parameters"), dict) else {}
    contact_id = contact.get("ContactId")
    contact_id = contact_id if isinstance(contact_id, str) and _CONTACT.match(contact_id) else None
    team, tier, complaints = parameters.get("queue"), parameters.get("tier"), parameters.get("recent_complaints")
    dropped = []
    if not (isinstance(team, str) and _TEAM.match(team)):
        dropped.append("queue") if team else None
        team = None
    if not (isinstance(tier, str) and _TIER.match(tier)):
        dropped.append("tier") if tier else None
        tier = None
    count = int(complaints) if isinstance(complaints, str) and complaints.isdigit() and len(complaints) < 4 else 0
    if complaints and not count and complaints != "0":
        dropped.append("recent_complaints")
    if dropped:
        count_metric("SentimentContextValuesDropped", value=len(dropped))
        logger.warning("context values dropped", extra={"fields": dropped})
    return contact_id, ContactContext(team=team, tier=tier, complaints=count)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    contact_id, found = read_context(event)
    if contact_id is None:
        count_metric("SentimentContextSkipped")
        logger.warning("no contact id: context not recorded")
        return {"recorded": "false"}
    configure_data_access((SentimentItem,), DDB_BOUNDS)
    save_context(contact_id, found, utc_now())
    count_metric("SentimentContextRecorded")
    return {"recorded": "true"}
