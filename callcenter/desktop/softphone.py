"""The softphone stand-in's calls: a simulated caller dials the main line, the inbound flow runs (the routing
Lambda sets the screen-pop attributes), and a queued call rings the desktop. Also the per-queue contact figures
of the supervisor view, counted from these calls (`QueueFigures`): the interface a deployed source (the contact
records KPIs, the live queue status) will fill in the same shape.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from callcenter.backend import LocalBackend
from callcenter.calls import CallRequest, place_call
from functions.common.phone import mask_phone
from functions.profiles.profile import CustomerProfile

#: When the stand-in's calls happen: a Tuesday morning, inside every queue's hours (results never depend on the
#: day the desktop is run).
CALL_MOMENT = datetime.fromisoformat("2026-11-24T10:30:00-05:00")
UNKNOWN_CALLER = "+14155550999"
WITHHELD = "withheld"
UNKNOWN = "unknown"


class UnknownCaller(ValueError):
    """The caller key names no simulated caller."""


@dataclass(frozen=True)
class QueueFigures:
    """One queue's contacts as the supervisor view shows them."""

    queue: str
    offered: int
    waiting: int
    connected: int
    ended: int

    def to_json(self) -> dict[str, Any]:
        return {"queue": self.queue, "offered": self.offered, "waiting": self.waiting, "connected": self.connected,
                "ended": self.ended}


@dataclass
class LocalSoftphone:
    """The calls placed through the stand-in, by contact id, with their state (waiting, connected, ended)."""

    backend: LocalBackend
    profiles: list[CustomerProfile]
    at: datetime = CALL_MOMENT
    calls: dict[str, dict[str, Any]] = field(default_factory=dict)

    def callers(self) -> list[dict[str, str]]:
        """The callers the page offers: each demo customer (masked number), an unknown and a withheld number."""
        known = [{"key": p.customer_id, "label": f"{p.customer_id} · {p.tier} · {mask_phone(p.phone)}"}
                 for p in self.profiles]
        return [*known, {"key": UNKNOWN, "label": f"unknown number {mask_phone(UNKNOWN_CALLER)}"},
                {"key": WITHHELD, "label": "withheld number"}]

    def _number(self, key: str) -> str | None:
        if key == WITHHELD:
            return None
        if key == UNKNOWN:
            return UNKNOWN_CALLER
        for profile in self.profiles:
            if profile.customer_id == key:
                return profile.phone
        raise UnknownCaller(f"no simulated caller {key!r}")

    def ring(self, caller_key: str, keys: tuple[str | None, ...] = (),
             altered: dict[str, str] | None = None) -> dict[str, Any]:
        """Place the call through the inbound flow; a queued one rings the desktop with its attributes.

        `altered`: attributes changed after routing, as another flow or the UpdateContactAttributes API could
        (missing or malformed values: the page must still show what it can)."""
        contact_id = str(uuid.uuid4())
        result = place_call(self.backend, CallRequest(caller=self._number(caller_key), at=self.at, keys=keys,
                                                      contact_id=contact_id))
        summary = {"queued": f"queued for {result.queue}", "disconnected": "the caller hung up in the IVR",
                   "ended": "the flow ended the call (after hours or self-service)"}.get(result.outcome, result.outcome)
        call = {"contact_id": contact_id, "outcome": result.outcome, "queue": result.queue,
                "attributes": {**result.attributes, **(altered or {})}, "summary": summary,
                "state": "waiting" if result.outcome == "queued" else "ended"}
        self.calls[contact_id] = call
        return call

    def mark(self, contact_id: str, state: str) -> bool:
        """The page accepted (connected) or ended a call; False for an unknown contact or state."""
        call = self.calls.get(contact_id)
        if call is None or state not in ("connected", "ended"):
            return False
        call["state"] = state
        return True

    def figures(self, queues: list[str]) -> list[QueueFigures]:
        by_state: Counter[tuple[str, str]] = Counter()
        offered: Counter[str] = Counter()
        for call in self.calls.values():
            if call["queue"]:
                offered[call["queue"]] += 1
                by_state[(call["queue"], call["state"])] += 1
        return [QueueFigures(q, offered[q], by_state[(q, "waiting")], by_state[(q, "connected")],
                             by_state[(q, "ended")]) for q in queues]
