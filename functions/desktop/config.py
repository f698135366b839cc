"""What the agent desktop page (desktop/) is told at start: its config.json.

One function for both places that write it: the local server (`callcenter desktop`) and the CDK construct that
deploys the page (infra/constructs/desktop.py). The vocabulary (teams, ticket categories, statuses, priorities,
tiers) comes from the same constants the functions check requests against, so the page offers only values the
API accepts; the page checks the screen-pop attributes against it too.
"""

from __future__ import annotations

from typing import Any

from functions.common.ticket_overview import Status
from functions.profiles.profile import TIERS
from functions.routing.policy import load_policy
from functions.tickets.ticket import CATEGORIES, PRIORITIES

#: How often the page asks for a live contact's hints (GET /contacts/{id}/insights).
HINT_POLL_SECONDS = 5


def desktop_config(*, mode: str, api_base: str, **endpoints: Any) -> dict[str, Any]:
    """config.json: mode "local" or "aws", the tickets API's base URL, the vocabulary, and the mode's endpoints
    (local: `local`; aws: `cognito`, `connect`; either: `queueFigures`)."""
    if mode not in ("local", "aws"):
        raise ValueError(f"mode {mode!r}: local or aws")
    return {
        "mode": mode,
        "apiBase": api_base,
        "teams": list(load_policy().queues),
        "categories": list(CATEGORIES),
        "statuses": [status.value for status in Status],
        "priorities": list(PRIORITIES),
        "tiers": list(TIERS),
        "pollSeconds": HINT_POLL_SECONDS,
        **{key: value for key, value in endpoints.items() if value is not None},
    }
