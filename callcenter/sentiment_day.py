"""Live sentiment in a simulated day: each call an agent answered gets a transcript from the fixtures
(events/sentiment/*.jsonl, chosen by the day's seed), played through the local segment stream and the real
consumer, so its hints, alerts and sentiment summary exist like a real day's (the summaries feed the KPI report's
`sentiment` section through the lake table `sentiment_summaries`).

Cost: a day delivers each call's records in one batch when the call ends (Lambda takes up to 100 records of a
shard per invocation), so a call costs one consumer invocation rather than one per turn; hints are then stamped
with the call's end. `callcenter call --transcript` plays a transcript record by record in simulated time, which
is what shows the delays.
"""

from __future__ import annotations

import json
import random
from datetime import datetime
from pathlib import Path
from typing import Any

from callcenter.backend import LocalBackend
from callcenter.sentiment_stream import LocalSegmentStream, parse_transcript

FIXTURES = Path(__file__).resolve().parent.parent / "events" / "sentiment"
#: Which fixture a call gets, by weight: most calls are calm.
WEIGHTS = {"calm": 6, "souring": 2, "angry-cancel": 2}


class SentimentPlayer:
    def __init__(self, backend: LocalBackend, seed: int) -> None:
        self.backend = backend
        self.rng = random.Random(f"sentiment-{seed}")
        self.stream = LocalSegmentStream(backend, shards=1)
        self.lines = {name: (FIXTURES / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
                      for name in WEIGHTS}
        self.played = 0

    def answered(self, contact_id: str, ended: datetime) -> None:
        """The call's transcript, delivered when it ended."""
        name = self.rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        records, _ = parse_transcript(self.lines[name], contact_id)
        for record in records:
            self.stream.put(json.dumps(record).encode(), contact_id, ended)
        saved = self.backend.now
        self.backend.now = ended
        try:
            self.stream.deliver()
        finally:
            self.backend.now = saved
        self.played += 1


def sentiment_summary_rows() -> list[dict[str, Any]]:
    """One row per contact whose analysis ended: the lake table `sentiment_summaries`."""
    from analytics.ctr import timestamp
    from functions.sentiment.store import summaries

    return [{"ContactId": s.contact_id, "Team": s.team, "SummarizedTimestamp": timestamp(s.at),
             "StartScore": s.summary.start_score, "EndScore": s.summary.end_score,
             "EndedNegative": s.summary.ended_negative, "CustomerTurns": s.summary.customer_turns,
             "RulesFired": ",".join(s.summary.rules_fired), "Outcome": s.summary.outcome} for s in summaries()]


__all__ = ["SentimentPlayer", "sentiment_summary_rows"]
