"""An item's size counted the way DynamoDB counts it against its 400 KB limit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from functions.common.ticket_overview import Status
from functions.storage.sizes import dynamodb_item_size
from functions.tickets import store
from functions.tickets import ticket as domain
from functions.tickets.ticket import Actor, ActorKind


@pytest.mark.parametrize(("item", "size"), [
    ({"id": {"S": "abc"}}, 2 + 3),
    ({"note": {"S": "\u00e9\u4e2d\U0001f600"}}, 4 + 2 + 3 + 4),  # UTF-8 bytes, not characters
    ({"n": {"N": "12345"}}, 1 + 3 + 1),  # 1 byte per 2 significant digits, + 1
    ({"n": {"N": "1200.0"}}, 1 + 1 + 1),  # zeros at either end do not count
    ({"n": {"N": "0"}}, 1 + 2),
    ({"flag": {"BOOL": True}, "none": {"NULL": True}}, 4 + 1 + 4 + 1),
    ({"l": {"L": [{"S": "ab"}, {"N": "7"}]}}, 1 + 3 + (1 + 2) + (1 + 2)),
    ({"m": {"M": {"k": {"S": "v"}}}}, 1 + 3 + 1 + 1 + 1),
    ({"ss": {"SS": ["a", "bc"]}}, 2 + 3),
])
def test_names_and_values_count_as_dynamodb_counts_them(item: dict, size: int) -> None:
    assert dynamodb_item_size(item) == size


def test_a_ticket_item_grows_by_its_notes_utf8_bytes() -> None:
    now = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    agent = Actor("ana", ActorKind.AGENT, frozenset({"billing"}))
    ticket = domain.open_ticket(customer_id="C001", subject="Charged twice", category="billing", team="billing",
                                actor=agent, now=now)
    before = store.item_size(store.to_item(ticket))
    ascii_note = domain.add_note(ticket, "x" * 2000, actor=agent, now=now)
    emoji_note = domain.add_note(ticket, "\U0001f600" * 2000, actor=agent, now=now)
    grown = store.item_size(store.to_item(ascii_note)) - before
    assert 2000 < grown < 2200  # the note and its entry's few other attributes
    assert store.item_size(store.to_item(emoji_note)) - before == grown + 3 * 2000  # 4 bytes a character
    assert store.item_size(store.to_item(domain.change_status(ticket, Status.IN_PROGRESS, actor=agent, now=now))) \
        - before < 250  # a change without text is small: what the reserve is counted in
