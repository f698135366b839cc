"""Live sentiment's rules (functions/sentiment/rules.json) and their evaluation per contact: plain Python, no AWS."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.sentiment.evaluator import ContactState, apply_turns, match_contact_lens, summarize
from functions.sentiment.rules import RULES_PATH, InvalidRules, load_rules, parse_rules
from functions.sentiment.segments import Turn, read_record

BOOK = load_rules()
STREAK, PHRASE, FALLING = "sentiment.negative_streak", "sentiment.key_phrase", "sentiment.falling"


def turns(*scores: int | None, role: str = "CUSTOMER", start: int = 0, text: str = "hm") -> list[Turn]:
    return [Turn(f"t{start + i}", role, 1000 * (start + i), 1000 * (start + i) + 900, score, text)
            for i, score in enumerate(scores)]


def fired(state: ContactState, new: list[Turn]) -> list[str]:
    return [f.rule.id for f in apply_turns(BOOK, state, new)]


# --- the document ------------------------------------------------------------------------------------------

def test_the_shipped_rules_load_with_a_hint_from_the_catalog_for_each():
    assert {rule.id for rule in BOOK.rules} == {STREAK, PHRASE, FALLING}
    assert all(BOOK.hint_text(rule) for rule in BOOK.rules)


def document(**changes: Any) -> dict[str, Any]:
    raw = json.loads(RULES_PATH.read_text())
    raw.update(changes)
    return raw


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["rules"][0].update(hint="nonexistent"), "not in the catalog"),
    (lambda d: d["rules"][1].update(id=d["rules"][0]["id"]), "used twice"),
    (lambda d: d["rules"][0].update(min_negative=9), "min_negative exceeds last_turns"),
    (lambda d: d["rules"][1].update(phrases=["Cancel"]), "lower case"),
    (lambda d: d["rules"][0]["alert"].update(when="sometimes"), "sometimes"),
    (lambda d: d["rules"][0].update(kind="vibes"), "vibes"),
    (lambda d: d["rules"][0].update(surprise=1), "surprise"),
    (lambda d: d["hints"].update(unused="Nobody shows this"), "no rule uses"),
])
def test_a_bad_rules_document_is_refused_with_where_and_why(change: Any, message: str):
    raw = document()
    change(raw)
    with pytest.raises(InvalidRules, match=message):
        parse_rules(raw)


def test_alerts_depend_on_tier_or_history_where_the_rule_says_so():
    streak, phrase = BOOK.rule(STREAK), BOOK.rule(PHRASE)
    assert streak and phrase
    assert streak.alert.alerts("vip", 0) and streak.alert.alerts("standard", 3)
    assert not streak.alert.alerts("standard", 2) and not streak.alert.alerts(None, 0)
    assert phrase.alert.alerts(None, 0)


# --- evaluation ------------------------------------------------------------------------------------------------

def test_three_negative_of_the_last_five_fires_once_and_only_on_the_third():
    state = ContactState()
    assert fired(state, turns(-1, 0, -1)) == []
    assert fired(state, turns(-1, start=3)) == [STREAK]
    assert fired(state, turns(-1, -1, start=4)) == []  # once per contact


def test_the_agents_turns_do_not_count():
    assert fired(ContactState(), turns(-1, -1, -1, -1, role="AGENT")) == []


def test_a_phrase_fires_on_whole_words_in_any_case_and_not_inside_other_words():
    assert fired(ContactState(), turns(0, text="I will call my LAWYER")) == [PHRASE]
    assert fired(ContactState(), turns(0, text="a cancellation fee? no, just cancel  my account")) == [PHRASE]
    assert fired(ContactState(), turns(0, text="the cancellation fee was suedé")) == []


def test_falling_sentiment_needs_enough_turns_and_a_real_drop():
    state = ContactState()
    assert fired(state, turns(1, 1, 1, -1, -1)) == []  # a drop of 1.33, but 5 turns: too early to judge
    assert fired(state, turns(0, start=5)) == [FALLING]  # 6 turns: first three 1.0, last three -0.67
    assert fired(ContactState(), turns(1, 1, 1, 1, 0, 0)) == []  # 1.0 -> 0.33: not a drop of 1


def test_a_redelivered_turn_changes_nothing():
    state = ContactState()
    fired(state, turns(-1, -1))
    assert fired(state, turns(-1, -1)) == []  # the same two turns again: not four negatives
    assert state.skipped == {"duplicate turn": 2}
    assert fired(state, turns(-1, start=2)) == [STREAK]


def test_an_out_of_order_turn_takes_its_place_and_a_too_late_one_is_skipped():
    state = ContactState()
    fired(state, turns(0, 0, start=5))
    assert fired(state, turns(-1, start=1)) == []
    assert [t.turn_id for t in state.turns] == ["t1", "t5", "t6"]
    assert state.skipped == {"turn out of order (put in its place)": 1}
    fired(state, turns(*[0] * BOOK.window, start=10))
    assert fired(state, turns(-1, start=0)) == []
    assert state.skipped["turn too late to count (older than the kept window)"] == 1


def test_a_turn_without_sentiment_counts_for_phrases_not_for_sentiment():
    state = ContactState()
    assert fired(state, turns(None, None, None, text="I want to cancel")) == [PHRASE]
    assert state.scored_turns == 0 and state.skipped["turn without sentiment"] == 3


def test_contact_lens_matches_fire_our_connect_rules_and_nothing_else():
    state = ContactState()
    assert [f.rule.id for f in match_contact_lens(BOOK, state, [PHRASE, STREAK, "someone-elses"])] == [PHRASE]
    assert state.skipped == {"Contact Lens match for no rule of ours": 2}
    assert match_contact_lens(BOOK, state, [PHRASE]) == []


def test_the_summary_has_the_start_and_end_scores_and_the_rules_fired():
    state = ContactState()
    fired(state, turns(1, 1, 0, -1, -1, -1))
    summary = summarize(BOOK, state, "COMPLETED")
    assert (summary.start_score, summary.end_score, summary.ended_negative) == (0.667, -1.0, True)
    assert summary.rules_fired == (STREAK, FALLING)  # both on the sixth turn, in the order of rules.json
    assert summarize(BOOK, ContactState(), "FAILED").ended_negative is False  # no sentiment: not negative


# --- reading records -----------------------------------------------------------------------------------------

def test_a_record_with_bad_parts_keeps_its_good_parts_and_says_what_it_skipped():
    record = read_record({"ContactId": "c-1", "EventType": "SEGMENTS", "Segments": [
        {"Utterance": {"Id": "u"}}, {"Transcript": {"Content": "no id"}}, {"Mystery": {}}, "junk",
        {"Transcript": {"Id": "t1", "ParticipantRole": "customer", "Content": "x" * 5000, "Sentiment": "negative",
                        "BeginOffsetMillis": 10, "EndOffsetMillis": 20}}]}, max_chars=100)
    assert [(t.turn_id, t.role, t.score, len(t.content)) for t in record.turns] == [("t1", "CUSTOMER", -1, 100)]
    assert record.skipped == {"utterance (partial turn)": 1, "transcript without id, role or offsets": 1,
                              "segment kind Mystery": 1, "malformed segment": 1}
    unknown = read_record({"ContactId": "c-1", "EventType": "REWOUND"})
    assert (unknown.event_type, unknown.skipped) == ("UNKNOWN", {"unknown event type REWOUND": 1})
