"""Contact Lens real-time segment records, read tolerantly (what Contact Lens writes to the instance's voice and chat
segment streams, and what `callcenter call --transcript` reads as JSON lines).

A record: `Version`, `Channel`, `ContactId`, `EventType` (STARTED | SEGMENTS | COMPLETED | FAILED) and, for
SEGMENTS, `Segments`: each one of `Utterance` (a partial turn, superseded by its Transcript), `Transcript`
(`Id`, `ParticipantRole`, `Content`, `BeginOffsetMillis`, `EndOffsetMillis`, `Sentiment`), `Categories`
(`MatchedCategories`: the Contact Lens rules matched) or a segment kind this code does not know. Chat segments
carry the same `Transcript` shape (offsets from the chat's start).

Nothing here raises on a bad segment: what cannot be used is counted under a reason (`skipped`), and the record's
usable parts are kept. Only a record with no contact id (or no JSON object at all) is unusable as a whole.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

EVENT_TYPES = ("STARTED", "SEGMENTS", "COMPLETED", "FAILED")
SENTIMENT_SCORES = {"POSITIVE": 1, "NEUTRAL": 0, "MIXED": 0, "NEGATIVE": -1}
CUSTOMER = "CUSTOMER"
_CONTACT_ID = re.compile(r"^[A-Za-z0-9-]{1,128}$")


class Turn(msgspec.Struct, frozen=True):
    """One finished turn of the conversation (a Transcript segment)."""

    turn_id: str
    role: str  # CUSTOMER | AGENT | SYSTEM ...
    begin_ms: int
    end_ms: int
    score: int | None  # None: no (or an unknown) sentiment
    content: str  # at most the rules' max_content_chars; never stored, never logged


class SegmentRecord(msgspec.Struct, frozen=True):
    contact_id: str
    channel: str
    event_type: str  # one of EVENT_TYPES, or "UNKNOWN"
    turns: tuple[Turn, ...]
    categories: tuple[str, ...]  # Contact Lens rules matched in this record
    skipped: dict[str, int]  # reason -> segments (or records) not used


class UnreadableRecord(ValueError):
    """A record with no contact to attribute it to; the message says why (never its content)."""


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _get(mapping: dict[str, Any], name: str) -> Any:
    """`name` in any key casing (Contact Lens uses PascalCase; hand-written fixtures do not always)."""
    if name in mapping:
        return mapping[name]
    lower = name.lower()
    return next((v for k, v in mapping.items() if isinstance(k, str) and k.lower() == lower), None)


def _turn(segment: dict[str, Any], max_chars: int, skipped: dict[str, int]) -> Turn | None:
    turn_id = _get(segment, "Id")
    begin, end = _int(_get(segment, "BeginOffsetMillis")), _int(_get(segment, "EndOffsetMillis"))
    role = _get(segment, "ParticipantRole")
    if not isinstance(turn_id, str) or not turn_id or begin is None or begin < 0 or not isinstance(role, str):
        skipped["transcript without id, role or offsets"] = skipped.get("transcript without id, role or offsets",
                                                                        0) + 1
        return None
    sentiment = _get(segment, "Sentiment")
    score = SENTIMENT_SCORES.get(sentiment.upper()) if isinstance(sentiment, str) else None
    content = _get(segment, "Content")
    content = content[:max_chars] if isinstance(content, str) else ""
    return Turn(turn_id[:128], role.upper(), begin, end if end is not None and end >= begin else begin, score,
                content)


def read_record(data: bytes | str | dict[str, Any], max_chars: int = 2000) -> SegmentRecord:
    """One stream record; raises UnreadableRecord only when it names no contact."""
    if isinstance(data, dict):
        document: Any = data
    else:
        try:
            document = msgspec.json.decode(data)
        except msgspec.DecodeError:
            raise UnreadableRecord("not JSON") from None
    if not isinstance(document, dict):
        raise UnreadableRecord("not a JSON object")
    contact_id = _get(document, "ContactId")
    if not isinstance(contact_id, str) or not _CONTACT_ID.match(contact_id):
        raise UnreadableRecord("no ContactId")
    event_type = _get(document, "EventType")
    event_type = event_type.upper() if isinstance(event_type, str) else ""
    channel = _get(document, "Channel")
    skipped: dict[str, int] = {}
    if event_type not in EVENT_TYPES:
        skipped[f"unknown event type {event_type[:30] or '(none)'}"] = 1
        return SegmentRecord(contact_id, str(channel or "VOICE"), "UNKNOWN", (), (), skipped)
    turns: list[Turn] = []
    categories: list[str] = []
    segments = _get(document, "Segments") if event_type == "SEGMENTS" else None
    for segment in segments if isinstance(segments, list) else ():
        if not isinstance(segment, dict) or len(segment) != 1:
            skipped["malformed segment"] = skipped.get("malformed segment", 0) + 1
            continue
        (kind, body), = segment.items()
        if not isinstance(body, dict):
            skipped["malformed segment"] = skipped.get("malformed segment", 0) + 1
        elif kind == "Transcript":
            turn = _turn(body, max_chars, skipped)
            if turn is not None:
                turns.append(turn)
        elif kind == "Categories":
            matched = _get(body, "MatchedCategories")
            categories.extend(c for c in matched if isinstance(c, str)) if isinstance(matched, list) else None
        elif kind == "Utterance":
            skipped["utterance (partial turn)"] = skipped.get("utterance (partial turn)", 0) + 1
        else:
            key = f"segment kind {str(kind)[:30]}"
            skipped[key] = skipped.get(key, 0) + 1
    return SegmentRecord(contact_id, str(channel or "VOICE"), event_type, tuple(turns), tuple(categories), skipped)
