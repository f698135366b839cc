"""Live hints and alerts for the agent on a contact: what the sentiment consumer (a later issue) concludes while
the contact is live, and what the agent desktop polls for. Plain Python, no AWS.

A hint is keyed by (contact id, rule): a rule says one thing about one contact, so recording it again replaces
what it said (the latest wording wins) and never adds a second entry. `kind` tells a hint for the agent
("offer the callback") from an alert for the supervisors ("caller very unhappy for 2 minutes"), which the
supervisor view also lists by team. Every hint expires: the table's TTL removes it EXPIRY after it was
recorded (hints are about a live contact; nobody needs them a day later).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from enum import StrEnum

import msgspec

EXPIRY = timedelta(hours=12)
MAX_TEXT_CHARS = 280
CONTACT_ID_PATTERN = r"^[A-Za-z0-9-]{1,128}$"
RULE_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
TEAM_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
_CONTACT_ID = re.compile(CONTACT_ID_PATTERN)
_RULE = re.compile(RULE_PATTERN)
_TEAM = re.compile(TEAM_PATTERN)


class Kind(StrEnum):
    HINT = "hint"  # for the agent on the contact
    ALERT = "alert"  # for the supervisors too (listed by team)


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class InvalidHint(ValueError):
    """A hint that cannot be stored as given; the message names the field."""


class InsightStoreUnavailable(Exception):
    """The insights table did not answer (throttled, slow or failing) after bounded retries."""


class Hint(msgspec.Struct, frozen=True):
    contact_id: str
    rule: str  # what produced it, e.g. "sentiment.negative_streak"; one hint per contact and rule
    team: str  # the contact's queue: whose agents may read it
    text: str
    kind: Kind
    severity: Severity
    at: datetime  # aware, when it was (last) recorded

    @property
    def expires_at(self) -> datetime:
        return self.at + EXPIRY


def new_hint(contact_id: str, rule: str, team: str, text: str, at: datetime, *, kind: Kind | str = Kind.HINT,
             severity: Severity | str = Severity.INFO) -> Hint:
    """A checked Hint, or InvalidHint saying which field is wrong."""
    if not isinstance(contact_id, str) or not _CONTACT_ID.match(contact_id):
        raise InvalidHint("contact_id: letters, digits and '-', 1 to 128 characters")
    if not isinstance(rule, str) or not _RULE.match(rule):
        raise InvalidHint("rule: lower-case letters, digits, '_', '.', '-', up to 64 characters")
    if not isinstance(team, str) or not _TEAM.match(team):
        raise InvalidHint("team: the contact's queue name")
    text = text.strip() if isinstance(text, str) else ""
    if not text or len(text) > MAX_TEXT_CHARS:
        raise InvalidHint(f"text: 1 to {MAX_TEXT_CHARS} characters")
    if at.tzinfo is None:
        raise InvalidHint("at: a timezone-aware time")
    try:
        return Hint(contact_id, rule, team, text, Kind(kind), Severity(severity), at)
    except ValueError as exc:
        raise InvalidHint(f"kind or severity: {exc}") from None
