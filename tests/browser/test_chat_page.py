"""The customer's chat page in headless Chromium against `callcenter desktop`: the real chat-start handler, the
chat flow answering through the local participant stand-in, and the agent's screen pop of the customer's next
call naming the chat. Given / When / Then; a screenshot of each state."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Desk
from tests.browser.test_desktop import unexpected_errors

pytestmark = [pytest.mark.browser]


def open_chat(desk: Desk) -> None:
    desk.page.goto(desk.url + "chat.html")
    desk.page.wait_for_selector("body[data-ready=true]")


def test_a_signed_in_customer_chats_then_calls_and_the_agent_sees_the_chat(desk: Desk) -> None:
    page = desk.page
    # Given a customer signed in on the site (the site's stand-in signs her id)
    open_chat(desk)
    page.select_option("#signed-in", "cust-alan")
    page.fill("#display-name", "Alan")
    # When she starts the chat and picks the Billing quick reply
    page.click("#start")
    page.locator("#replies button[data-action=billing]").wait_for()
    desk.shot("1-quick-replies")
    page.click("#replies button[data-action=billing]")
    # Then the chat waits for a billing agent
    page.wait_for_selector("#chat-state[data-state=queued]")
    assert "billing" in page.inner_text("#chat-state")
    # And a long message with emoji and right-to-left text is shown whole
    long = ("שלום 🙂 مرحبا " * 1500)[:20_000]
    page.fill("#message", long)
    page.click("#send")
    page.locator("#transcript li.customer", has_text="مرحبا").first.wait_for()
    shown = "".join(page.locator("#transcript li.customer").all_inner_texts()[1:])
    assert shown == long
    desk.shot("2-queued")

    # When she calls an hour later and an agent accepts
    desk.sign_in("bea", "billing")
    desk.ring_and_accept("cust-alan")
    # Then the screen pop names the chat
    recent = page.locator("#recent-contacts li").first
    assert "CHAT" in recent.inner_text() and "billing" in recent.inner_text()
    desk.shot("3-screen-pop-names-the-chat")
    assert not unexpected_errors(desk)


def test_a_forged_claim_is_refused_with_a_clear_answer(desk: Desk) -> None:
    page = desk.page
    open_chat(desk)
    claim = desk.local("site-claim", {"customer_id": "cust-grace"})
    claim["signed_customer_id"] = "cust-ada"  # the browser swaps the id
    page.evaluate("claim => { window.chatClaimOverride = claim; }", claim)
    page.click("#start")
    page.wait_for_selector("#alert:has-text('CLAIM_NOT_VERIFIED')")
    assert page.is_hidden("#conversation")
    desk.shot("forged")
    assert not unexpected_errors(desk, {401})


def test_an_empty_message_is_not_sent(desk: Desk) -> None:
    page = desk.page
    open_chat(desk)
    page.fill("#typed-identity", "someone@example.org")
    page.click("#start")
    page.locator("#replies button").first.wait_for()
    page.fill("#message", "   ")
    page.click("#send")
    page.wait_for_selector("#alert:has-text('empty')")
    assert page.locator("#transcript li.customer").count() == 0
    assert not unexpected_errors(desk)
