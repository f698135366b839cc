"""The agent desktop end to end in headless Chromium, against `callcenter desktop` (the real tickets API handler on
moto, the inbound flow run by the simulator). Given / When / Then; a screenshot of each state."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import Desk

pytestmark = [pytest.mark.browser]

#: What Chromium itself logs for an HTTP error answer the page then explains in words.
NETWORK_ERROR = re.compile(r"^Failed to load resource: the server responded with a status of (\d{3})")


def unexpected_errors(desk: Desk, expected_statuses: set[int] = frozenset()) -> list[str]:
    errors = []
    for text in desk.console_errors:
        found = NETWORK_ERROR.match(text)
        if not (found and int(found[1]) in expected_statuses):
            errors.append(text)
    return errors


def open_ticket(desk: Desk, customer: str, team: str, subject: str) -> dict:
    supervisor = desk.token("sup", [], supervisor=True)
    return desk.api("POST", "/tickets", supervisor, {"customer_id": customer, "subject": subject,
                                                     "category": "billing", "team": team})


def test_screen_pop_tickets_hints_create_and_update(desk: Desk) -> None:
    # Given a VIP customer with an open ticket, and an agent of the VIP queue signed in
    page = desk.page
    existing = open_ticket(desk, "cust-ada", "vip", "Card charged twice")
    desk.sign_in("ana", "vip")
    desk.shot("1-signed-in")

    # When her call rings and the agent accepts it
    contact_id = desk.ring_and_accept("cust-ada")

    # Then the screen pop shows who is calling and why, and her tickets follow from the API
    pop = page.locator("#pop")
    for expected in ("cust-ada", "vip", "VIP_TIER", "en"):
        assert expected in pop.inner_text()
    page.locator(f"#ticket-table tr[data-ticket={existing['ticket_id']}]").wait_for()
    desk.shot("2-screen-pop-and-tickets")

    # When the sentiment consumer records a hint for this contact, the page shows it while connected
    desk.local("hints", {"contact_id": contact_id, "rule": "sentiment.negative", "team": "vip",
                         "text": "Caller sounds frustrated: acknowledge the double charge first"})
    page.locator("#hint-list li[data-rule='sentiment.negative']").wait_for()
    desk.shot("3-live-hint")

    # When the agent opens a new ticket prefilled from the contact
    page.click("#create summary")
    assert page.input_value("#new-customer") == "cust-ada"
    assert page.input_value("#new-team") == "vip"
    page.fill("#new-subject", "Refund the second charge")
    page.click("#create-submit")
    page.wait_for_selector("#status:has-text('opened for cust-ada')")
    created = page.locator("#ticket-title").inner_text()
    assert "Refund the second charge" in created
    page.locator("#ticket-table tbody tr").nth(1).wait_for()
    desk.shot("4-ticket-created")

    # And changes its status with a note
    page.select_option("#status-select", "in_progress")
    page.fill("#status-note", "Refund requested from billing")
    page.click("#status-form button[type=submit]")
    page.wait_for_selector("#ticket-facts:has-text('Status in_progress')")
    assert "version 2" in page.inner_text("#ticket-facts")
    desk.shot("5-ticket-updated")

    # Then nothing was logged to the console
    assert unexpected_errors(desk) == []


def test_conflict_shows_what_changed_and_reapplies(desk: Desk) -> None:
    # Given an agent who opened a ticket
    page = desk.page
    ticket = open_ticket(desk, "cust-grace", "general", "Router keeps rebooting")
    desk.sign_in("ana", "general")
    desk.ring_and_accept("cust-grace")
    page.click(f"button[data-open={ticket['ticket_id']}]")
    page.wait_for_selector("#ticket[data-version='1']")

    # When a colleague assigns it meanwhile, and the agent then changes its status
    colleague = desk.token("bob", ["general"])
    desk.api("POST", f"/tickets/{ticket['ticket_id']}/assign", colleague, {"agent": "bob", "expected_version": 1})
    page.select_option("#status-select", "in_progress")
    page.click("#status-form button[type=submit]")

    # Then the page says someone else changed it, and what changed
    page.wait_for_selector("#conflict")
    assert "Someone else changed this ticket" in page.inner_text("#alert")
    assert "agent: none → bob" in page.inner_text("#conflict-changes")
    desk.shot("1-conflict")

    # When the agent re-applies the change on the current version
    page.click("#reapply")

    # Then it is applied on top of the colleague's
    page.wait_for_selector("#ticket-facts:has-text('Status in_progress')")
    assert "agent bob" in page.inner_text("#ticket-facts")
    assert "version 3" in page.inner_text("#ticket-facts")
    desk.shot("2-reapplied")
    assert unexpected_errors(desk, {409}) == []


def test_refusals_are_shown_in_words_and_the_page_never_blanks(desk: Desk) -> None:
    # Given a support agent on a call from a customer with a billing ticket
    page = desk.page
    ticket = open_ticket(desk, "cust-alan", "billing", "Invoice address wrong")
    desk.sign_in("sam", "support")
    desk.ring_and_accept("cust-alan")

    # 422: a customer id the API refuses
    page.click("#create summary")
    page.fill("#new-customer", "not a valid id!")
    page.fill("#new-subject", "Test")
    page.click("#create-submit")
    page.wait_for_selector("#alert:has-text('Please check the form')")
    assert "customer_id" in page.inner_text("#alert")
    desk.shot("1-422")

    # 403: changing another team's ticket
    page.click(f"button[data-open={ticket['ticket_id']}]")
    page.select_option("#status-select", "in_progress")
    page.click("#status-form button[type=submit]")
    page.wait_for_selector("#alert:has-text('You are not allowed')")
    desk.shot("2-403")

    # API down: said in words, what was shown stays
    desk.local("api-down", {"down": True})
    page.fill("#note-text", "Called back")
    page.click("#note-form button[type=submit]")
    page.wait_for_selector("#alert:has-text('try again in a few seconds')")
    desk.local("api-down", {"down": False})
    desk.shot("3-api-down")

    # 401: the sign-in expired; the screen pop and the ticket stay on screen beside a new sign-in
    desk.local("sign-out-all", {})
    page.click("#note-form button[type=submit]")
    page.wait_for_selector("#signin:visible")
    assert "sign in again" in page.inner_text("#signin")
    assert "cust-alan" in page.inner_text("#pop")
    assert page.locator("#ticket").is_visible()
    desk.shot("4-401")
    assert unexpected_errors(desk, {401, 403, 422, 503}) == []


def test_missing_and_malformed_attributes_and_no_customer(desk: Desk) -> None:
    # Given an agent, when a withheld-number call connects with attributes another flow garbled
    page = desk.page
    desk.sign_in("ana", "general")
    page.select_option("#caller", "withheld")
    page.evaluate("""() => {
        const original = window.fetch;
        window.fetch = (url, init) => {
            if (String(url).endsWith('/local/calls')) {
                const body = JSON.parse(init.body);
                body.attributes = {open_ticket_count: 'lots', tier: '<b>vip</b>', latest_ticket_status: 'exploded'};
                init = {...init, body: JSON.stringify(body)};
            }
            return original(url, init);
        };
    }""")
    page.click("#ring")
    page.click("#accept")
    page.wait_for_selector("#screen-pop[data-state=connected]")

    # Then the page shows what it can, says what it could not read, and offers a ticket without a customer
    assert "not identified" in page.inner_text("#pop")
    problems = page.inner_text("#pop-problems")
    for name in ("open_ticket_count", "tier", "latest_ticket_status"):
        assert name in problems
    assert "No known customer" in page.inner_text("#ticket-list")
    desk.shot("1-no-customer-garbled-attributes")
    assert unexpected_errors(desk) == []


def test_usable_by_keyboard_alone(desk: Desk) -> None:
    page = desk.page
    page.goto(desk.url)
    page.wait_for_selector("#signin-name:focus")

    def tab_to(element_id: str, limit: int = 40) -> None:
        for _ in range(limit):
            if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
                return
            page.keyboard.press("Tab")
        raise AssertionError(f"#{element_id} is not reachable with Tab")

    # Sign in: type, Tab to the team, Enter submits
    page.keyboard.type("kim")
    tab_to("signin-team")
    page.keyboard.press("End")  # the last team
    tab_to("signin-submit")
    page.keyboard.press("Enter")
    page.wait_for_selector("#signin", state="hidden")

    # Ring and accept with the keyboard: Accept takes the focus when the call rings
    tab_to("caller")
    tab_to("ring")
    page.keyboard.press("Enter")
    page.wait_for_selector("#accept:focus:not([disabled])")
    page.keyboard.press("Enter")
    page.wait_for_selector("#screen-pop[data-state=connected]")

    # The focused control is visibly outlined
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    tab_to("end")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid" or outline == "solid"
    desk.shot("1-keyboard")
    page.keyboard.press("Enter")
    page.wait_for_selector("#screen-pop[data-state=ended]")
    assert unexpected_errors(desk) == []


def test_supervisor_view_shows_queue_figures_and_alerts(desk: Desk) -> None:
    # Given a call waiting in the VIP queue with an alert, and an overdue-free open ticket
    page = desk.page
    open_ticket(desk, "cust-ada", "vip", "Upgrade request")
    desk.sign_in("sue", "", supervisor=True)
    contact_id = desk.ring_and_accept("cust-ada")
    desk.local("hints", {"contact_id": contact_id, "rule": "sentiment.escalate", "team": "vip", "kind": "alert",
                         "severity": "critical", "text": "Caller asked for a supervisor twice"})

    # When the supervisor opens the supervisor view
    page.click("#view-supervisor")

    # Then each queue has its contact and ticket figures, and the alert is listed
    row = page.locator("#queue-table tr[data-queue=vip]")
    row.wait_for()
    cells = row.locator("td").all_inner_texts()
    assert int(cells[0]) >= 1 and int(cells[2]) >= 1  # offered, connected
    assert int(cells[4]) >= 1  # open tickets
    page.wait_for_selector("#alert-list:has-text('asked for a supervisor')")
    desk.shot("1-supervisor")
    assert unexpected_errors(desk) == []
