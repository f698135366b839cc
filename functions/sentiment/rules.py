"""The live-sentiment rules as validated data (`rules.json`): what to watch for in a live contact, the hint the agent
sees (from the hints catalog, written once) and when supervisors are alerted as well.

Rule kinds:
- `negative_streak`: at least `min_negative` of the caller's last `last_turns` turns (with a sentiment) negative.
- `phrase`: the caller said one of `phrases` (whole words, any case). With `connect_rule` the stack also deploys
  the phrases as a Contact Lens rule (`AWS::Connect::Rule`), whose matches reach the consumer on EventBridge.
- `falling`: over at least `min_turns` caller turns, the mean score of the last `last_turns` is at least
  `min_drop` below the mean of the first `first_turns` (POSITIVE 1, NEUTRAL and MIXED 0, NEGATIVE -1).

Alerts (`alert.when`): `always`, `never`, or `tier_or_history`: the caller's tier is one of `tiers` or they have
at least `min_complaints` recent complaints (the routing answer, recorded for the contact after routing:
functions/sentiment/context_handler.py).

Loaded once per process (`load_rules`); the CDK app loads it too, so a bad file fails the synth.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from msgspec import Meta

from functions.common.documents import Strict, decode_document, read_document
from functions.insights.hint import MAX_TEXT_CHARS, RULE_PATTERN, Severity

RULES_PATH = Path(__file__).with_name("rules.json")
_RULE_ID = re.compile(RULE_PATTERN)
Turns = Annotated[int, Meta(ge=1, le=20)]


class InvalidRules(ValueError):
    """rules.json is unreadable or breaks a rule; the message says where."""


class Alert(Strict, frozen=True, kw_only=True):
    when: Literal["always", "never", "tier_or_history"]
    tiers: tuple[str, ...] = ()
    min_complaints: Annotated[int, Meta(ge=1)] | None = None

    def __post_init__(self) -> None:
        if self.when == "tier_or_history" and not self.tiers and self.min_complaints is None:
            raise ValueError("tier_or_history needs tiers or min_complaints")
        if self.when != "tier_or_history" and (self.tiers or self.min_complaints is not None):
            raise ValueError(f"tiers and min_complaints apply only to tier_or_history, not {self.when}")

    def alerts(self, tier: str | None, complaints: int) -> bool:
        if self.when == "always":
            return True
        if self.when == "never":
            return False
        return (tier is not None and tier in self.tiers) or (
            self.min_complaints is not None and complaints >= self.min_complaints)


class _Rule(Strict, frozen=True, kw_only=True, tag_field="kind"):
    id: str
    description: Annotated[str, Meta(min_length=1)]
    hint: str
    severity: Severity
    alert: Alert

    def __post_init__(self) -> None:
        if not _RULE_ID.match(self.id):
            raise ValueError(f"rule id {self.id!r}: lower-case letters, digits, '_', '.', '-'")


class NegativeStreak(_Rule, frozen=True, kw_only=True, tag="negative_streak"):
    last_turns: Turns
    min_negative: Turns

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.min_negative > self.last_turns:
            raise ValueError(f"{self.id}: min_negative exceeds last_turns")


class Phrase(_Rule, frozen=True, kw_only=True, tag="phrase"):
    phrases: Annotated[tuple[Annotated[str, Meta(min_length=2, max_length=60)], ...], Meta(min_length=1)]
    connect_rule: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        if any(p != p.strip().lower() for p in self.phrases):
            raise ValueError(f"{self.id}: write phrases in lower case without outer spaces")

    @property
    def pattern(self) -> re.Pattern[str]:
        return _phrase_pattern(self.phrases)


class Falling(_Rule, frozen=True, kw_only=True, tag="falling"):
    first_turns: Turns
    last_turns: Turns
    min_drop: Annotated[float, Meta(gt=0, le=2)]
    min_turns: Turns

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.min_turns < self.first_turns + self.last_turns:
            raise ValueError(f"{self.id}: min_turns must cover first_turns + last_turns (no turn on both sides)")


Rule = NegativeStreak | Phrase | Falling


class Summary(Strict, frozen=True, kw_only=True):
    start_turns: Turns
    end_turns: Turns
    negative_at_or_below: Annotated[float, Meta(ge=-1, le=0)]


class RuleBook(Strict, frozen=True, kw_only=True):
    description: str = ""
    hints: dict[str, Annotated[str, Meta(min_length=1, max_length=MAX_TEXT_CHARS)]]
    rules: Annotated[tuple[Rule, ...], Meta(min_length=1)]
    summary: Summary
    max_content_chars: Annotated[int, Meta(ge=100, le=100_000)]

    def __post_init__(self) -> None:
        ids = [rule.id for rule in self.rules]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"rule ids used twice: {duplicates}")
        unknown = sorted({rule.hint for rule in self.rules} - set(self.hints))
        if unknown:
            raise ValueError(f"hints not in the catalog: {unknown}")
        unused = sorted(set(self.hints) - {rule.hint for rule in self.rules})
        if unused:
            raise ValueError(f"catalog hints no rule uses: {unused}")

    def rule(self, rule_id: str) -> Rule | None:
        return next((rule for rule in self.rules if rule.id == rule_id), None)

    def hint_text(self, rule: Rule) -> str:
        return self.hints[rule.hint]

    @property
    def window(self) -> int:
        """How many of the caller's latest turns a contact's state keeps: enough for every rule's look-back."""
        sizes = [self.summary.end_turns]
        for rule in self.rules:
            if isinstance(rule, NegativeStreak | Falling):
                sizes.append(rule.last_turns)
        return max(max(sizes), 10)

    @property
    def first_turns(self) -> int:
        return max([self.summary.start_turns] + [r.first_turns for r in self.rules if isinstance(r, Falling)])


@cache
def _phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)


def parse_rules(document: str | bytes | dict[str, object]) -> RuleBook:
    return decode_document(document, RuleBook, InvalidRules, "sentiment rules")


@cache
def load_rules(path: Path = RULES_PATH) -> RuleBook:
    return read_document(path, parse_rules, InvalidRules, "sentiment rules")


__all__ = ["Alert", "Falling", "InvalidRules", "NegativeStreak", "Phrase", "Rule", "RuleBook", "load_rules",
           "parse_rules"]
