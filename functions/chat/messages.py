"""What a chat message may be. Plain Python.

Connect takes a chat message of 1 to 16,384 bytes (ChatMessage.Content, counted in UTF-8: an emoji is four
bytes, a Hebrew or Arabic letter two). Text is passed on as written: emoji, right-to-left scripts and mixed
directions are not altered, only the surrounding whitespace is trimmed to decide whether anything was said.

A message over the limit is not cut: `split_message` makes consecutive parts of at most the limit, at character
boundaries (never inside a UTF-8 sequence), so a long message arrives whole, in order. Only where one message
is all there can be (the chat's opening message, StartChatContact's InitialMessage) is a long one refused, with
the limit in the answer, and the page keeps the text for the customer to send once the chat is open.
"""

from __future__ import annotations

from enum import StrEnum

MAX_MESSAGE_BYTES = 16_384


class MessageCheck(StrEnum):
    OK = "ok"
    EMPTY = "empty"  # nothing but whitespace
    TOO_LONG = "too_long"  # over MAX_MESSAGE_BYTES in UTF-8


def check_message(text: str) -> MessageCheck:
    if not text.strip():
        return MessageCheck.EMPTY
    return MessageCheck.TOO_LONG if len(text.encode("utf-8")) > MAX_MESSAGE_BYTES else MessageCheck.OK


def split_message(text: str, limit: int = MAX_MESSAGE_BYTES) -> list[str]:
    """Consecutive parts of at most `limit` UTF-8 bytes whose concatenation is `text` (empty text: no parts)."""
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for character in text:
        width = len(character.encode("utf-8"))
        if size + width > limit and current:
            parts.append("".join(current))
            current, size = [], 0
        current.append(character)
        size += width
    if current:
        parts.append("".join(current))
    return parts
