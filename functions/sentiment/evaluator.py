"""Evaluating the rules on one live contact, turn by turn. Plain Python, no AWS.

`ContactState` is what the consumer keeps per contact between batches (functions/sentiment/store.py): the
caller's latest turns (id, start offset, score: never what was said), the scores of the caller's first turns,
the rules already fired and what was skipped. `apply_turns` adds turns and returns the rules that fire, each
once per contact:

- **Redelivery**: a turn whose id is among the kept turns is a duplicate and changes nothing.
- **Out of order**: a late turn is put in its place by offset, so "the last 5 turns" are the last 5 by time; a
  turn older than every kept turn (the window is full) is skipped and counted, never re-counted.
- **Missing sentiment**: the turn counts for phrases, not for sentiment rules.
- Only the caller's turns (`CUSTOMER`) are judged.
"""

from __future__ import annotations

import msgspec

from functions.sentiment.rules import Falling, NegativeStreak, Phrase, Rule, RuleBook
from functions.sentiment.segments import CUSTOMER, Turn


class Kept(msgspec.Struct, frozen=True, array_like=True):
    turn_id: str
    begin_ms: int
    score: int | None


class ContactState(msgspec.Struct, kw_only=True):
    turns: list[Kept] = msgspec.field(default_factory=list)  # the caller's latest turns, by begin offset
    first_scores: list[int] = msgspec.field(default_factory=list)  # scores of the caller's first scored turns
    scored_turns: int = 0  # the caller's turns with a sentiment, all call long
    fired: list[str] = msgspec.field(default_factory=list)
    skipped: dict[str, int] = msgspec.field(default_factory=dict)
    ended: str | None = None  # COMPLETED | FAILED once the analysis ended

    def skip(self, reason: str, count: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + count


class Firing(msgspec.Struct, frozen=True):
    rule: Rule
    offset_ms: int  # the end of the turn that made it fire (0 for a Contact Lens rule match)


def _scores(turns: list[Kept]) -> list[int]:
    return [t.score for t in turns if t.score is not None]


def _mean(values: list[int]) -> float | None:
    return sum(values) / len(values) if values else None


def _holds(rule: Rule, state: ContactState, turn: Turn) -> bool:
    if isinstance(rule, Phrase):
        return bool(turn.content) and rule.pattern.search(turn.content) is not None
    scores = _scores(state.turns)
    if isinstance(rule, NegativeStreak):
        return sum(1 for s in scores[-rule.last_turns:] if s < 0) >= rule.min_negative
    if isinstance(rule, Falling):
        start, end = _mean(state.first_scores[:rule.first_turns]), _mean(scores[-rule.last_turns:])
        return (state.scored_turns >= rule.min_turns and start is not None and end is not None
                and start - end >= rule.min_drop)
    return False


def _insert(state: ContactState, turn: Turn, window: int, first: int) -> bool:
    """Keep the caller's turn in order; False when it is a duplicate or too late to count."""
    if any(kept.turn_id == turn.turn_id for kept in state.turns):
        state.skip("duplicate turn")
        return False
    if len(state.turns) >= window and turn.begin_ms < state.turns[0].begin_ms:
        state.skip("turn too late to count (older than the kept window)")
        return False
    index = len(state.turns)
    while index > 0 and state.turns[index - 1].begin_ms > turn.begin_ms:
        index -= 1
    if index < len(state.turns):
        state.skip("turn out of order (put in its place)")
    state.turns.insert(index, Kept(turn.turn_id, turn.begin_ms, turn.score))
    del state.turns[:-window]
    if turn.score is not None:
        state.scored_turns += 1
        if len(state.first_scores) < first:
            state.first_scores.append(turn.score)
    else:
        state.skip("turn without sentiment")
    return True


def apply_turns(book: RuleBook, state: ContactState, turns: tuple[Turn, ...] | list[Turn]) -> list[Firing]:
    """Add the turns (in the order given) and return the rules that fire now, at most once per contact."""
    firings: list[Firing] = []
    for turn in turns:
        if turn.role != CUSTOMER:
            continue
        if not _insert(state, turn, book.window, book.first_turns):
            continue
        for rule in book.rules:
            if rule.id not in state.fired and _holds(rule, state, turn):
                state.fired.append(rule.id)
                firings.append(Firing(rule, turn.end_ms))
    return firings


def match_contact_lens(book: RuleBook, state: ContactState, names: tuple[str, ...] | list[str]) -> list[Firing]:
    """Contact Lens rules that matched (by our rule id, the name the stack gave them), once per contact."""
    firings = []
    for name in names:
        rule = book.rule(name)
        if rule is None or not isinstance(rule, Phrase) or not rule.connect_rule:
            state.skip("Contact Lens match for no rule of ours")
            continue
        if rule.id not in state.fired:
            state.fired.append(rule.id)
            firings.append(Firing(rule, 0))
    return firings


class SentimentSummary(msgspec.Struct, frozen=True, kw_only=True):
    """The contact's sentiment afterwards: the caller's score at the start and the end (-1 to 1), whether it
    ended negative, the rules fired, and how the analysis ended."""

    start_score: float | None
    end_score: float | None
    ended_negative: bool
    customer_turns: int
    rules_fired: tuple[str, ...]
    outcome: str  # COMPLETED | FAILED


def summarize(book: RuleBook, state: ContactState, outcome: str) -> SentimentSummary:
    start = _mean(state.first_scores[:book.summary.start_turns])
    end = _mean(_scores(state.turns)[-book.summary.end_turns:])
    return SentimentSummary(
        start_score=None if start is None else round(start, 3), end_score=None if end is None else round(end, 3),
        ended_negative=end is not None and end <= book.summary.negative_at_or_below,
        customer_turns=state.scored_turns, rules_fired=tuple(state.fired), outcome=outcome)
