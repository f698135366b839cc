"""Chat identity and channels in routing (plain Python, fake store): the signed claim, the typed identity, an
SMS conversation identified by its number, and the messages a chat accepts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.chat.messages import MAX_MESSAGE_BYTES, MessageCheck, check_message, split_message
from functions.chat.start import ChatStartRefused, Refusal, contact_attributes, parse_request, start_chat
from functions.common.contact_history import RecentContact, recent_from_items, to_attribute, with_contact
from functions.common.customer_claim import MAX_CLAIM_TTL, ClaimCheck, CustomerClaim, check_claim, sign_claim
from functions.profiles.profile import CustomerProfile
from functions.routing.contact import parse_contact
from functions.routing.decision import CallerStatus
from functions.routing.policy import load_policy
from functions.routing.service import LookupFailed, ProfileLookups, decide, to_contact_attributes
from tests.conftest import load_event

NOW = datetime(2026, 11, 24, 11, 0, tzinfo=ZoneInfo("America/New_York"))
SECRET = b"test-secret"
ADA = CustomerProfile("cust-ada", "+14155550100", "Ada Lovelace", tier="vip", email="ada@example.com")
ARNS = {name: f"arn:queue/{name}" for name in load_policy().queues}


class Lookups:
    def __init__(self, *profiles: CustomerProfile, fail: bool = False) -> None:
        self.profiles = profiles
        self.fail = fail
        self.calls: list[tuple[str, str]] = []

    def _find(self, kind: str, key: str, match) -> CustomerProfile | None:
        self.calls.append((kind, key))
        if self.fail:
            raise LookupFailed("throttled")
        return next((p for p in self.profiles if match(p, key)), None)

    def lookups(self) -> ProfileLookups:
        return ProfileLookups(
            by_phone=lambda key: self._find("phone", key, lambda p, k: p.phone == k),
            by_email=lambda key: self._find("email", key, lambda p, k: p.email == k),
            by_customer_id=lambda key: self._find("id", key, lambda p, k: p.customer_id == k))


def chat_event(attributes: dict[str, str], subtype: str | None = None, address: str | None = None) -> dict:
    event = load_event("connect_chat_api")
    data = event["Details"]["ContactData"]
    data["Attributes"] = attributes
    if subtype:
        data["SegmentAttributes"] = {"connect:Subtype": {"ValueString": subtype}}
    if address:
        data["CustomerEndpoint"] = {"Address": address, "Type": "TELEPHONE_NUMBER"}
    return event


def route(event: dict, store: Lookups, secret: bytes | None = SECRET):
    secret_source = (lambda: secret) if secret is not None else None
    return decide(parse_contact(event), load_policy(), store.lookups(), NOW, claim_secret=secret_source)


# --- the claim ---------------------------------------------------------------------------------------------------

def test_a_claim_checks_only_with_the_secret_before_it_expires():
    claim = sign_claim(SECRET, "cust-ada", NOW + timedelta(minutes=5))
    assert check_claim(claim, SECRET, NOW) is ClaimCheck.VALID
    assert check_claim(claim, b"other", NOW) is ClaimCheck.BAD_SIGNATURE
    assert check_claim(claim, SECRET, NOW + timedelta(minutes=5)) is ClaimCheck.EXPIRED
    far = sign_claim(SECRET, "cust-ada", NOW + MAX_CLAIM_TTL + timedelta(minutes=1))
    assert check_claim(far, SECRET, NOW) is ClaimCheck.TOO_LONG
    assert check_claim(None, SECRET, NOW) is ClaimCheck.ABSENT


@given(st.text(min_size=1, max_size=80))
def test_no_altered_customer_id_checks(other_id):
    claim = sign_claim(SECRET, "cust-ada", NOW + timedelta(minutes=5))
    altered = CustomerClaim(other_id, claim.expires, claim.signature)
    expected = ClaimCheck.VALID if other_id == "cust-ada" else (ClaimCheck.BAD_SIGNATURE, ClaimCheck.MALFORMED)
    assert check_claim(altered, SECRET, NOW) in (expected if isinstance(expected, tuple) else (expected,))


# --- routing a chat ----------------------------------------------------------------------------------------------

def test_a_signed_chat_is_one_read_by_customer_id_and_routed_by_tier():
    store = Lookups(ADA)
    claim = sign_claim(SECRET, "cust-ada", NOW + timedelta(minutes=5))
    decision, who = route(chat_event(claim.to_attributes()), store)
    assert store.calls == [("id", "cust-ada")]
    assert (decision.queue, decision.reason, who.identity.value) == ("vip", "VIP_TIER", "signed")


def test_a_forged_claim_reads_nothing_and_routes_nobody():
    store = Lookups(ADA)
    genuine = sign_claim(SECRET, "cust-bob", NOW + timedelta(minutes=5))
    forged = CustomerClaim("cust-ada", genuine.expires, genuine.signature)
    decision, who = route(chat_event(forged.to_attributes()), store)
    assert store.calls == [] and who.profile is None
    assert (decision.queue, decision.reason, who.status) == ("general", "CLAIM_NOT_VERIFIED",
                                                             CallerStatus.REJECTED_CLAIM)
    attributes = to_contact_attributes(decision, who, ARNS)
    assert attributes["customer_id"] == attributes["tier"] == attributes["recent_contacts"] == ""


def test_an_unavailable_secret_routes_without_a_profile():
    def unavailable() -> bytes:
        raise LookupFailed("secret")

    claim = sign_claim(SECRET, "cust-ada", NOW + timedelta(minutes=5))
    decision, who = decide(parse_contact(chat_event(claim.to_attributes())), load_policy(), Lookups(ADA).lookups(),
                           NOW, claim_secret=unavailable)
    assert (decision.reason, who.profile) == ("PROFILE_UNAVAILABLE", None)


@pytest.mark.parametrize(("typed", "lookup"), [("ada@example.com", ("email", "ada@example.com")),
                                               ("+1 (415) 555-0100", ("phone", "+14155550100"))])
def test_a_typed_identity_is_looked_up_once_and_marked_typed(typed, lookup):
    store = Lookups(ADA)
    decision, who = route(chat_event({"typed_identity": typed}), store)
    assert store.calls == [lookup]
    assert (decision.queue, who.identity.value) == ("vip", "typed")


def test_an_sms_conversation_is_identified_by_its_number_like_a_call():
    store = Lookups(ADA)
    decision, who = route(chat_event({}, subtype="connect:SMS", address="+14155550100"), store)
    assert store.calls == [("phone", "+14155550100")]
    assert (decision.queue, decision.reason, who.identity.value) == ("vip", "VIP_TIER", "caller_id")


def test_a_chat_with_no_identity_is_anonymous_and_reads_nothing():
    store = Lookups(ADA)
    decision, _ = route(chat_event({}), store)
    assert (store.calls, decision.reason) == ([], "ANONYMOUS_CHAT")


# --- chat-start --------------------------------------------------------------------------------------------------

class FakeConnect:
    def __init__(self) -> None:
        self.started: list[dict] = []

    def start_chat_contact(self, **parameters):
        self.started.append(parameters)
        return {"ContactId": "c-1", "ParticipantId": "p-1", "ParticipantToken": "t-1"}


def test_the_page_cannot_set_any_attribute_but_the_claim_or_the_typed_identity():
    request = parse_request({"typed_identity": "ada@example.com", "caller_status": "known",
                             "customer_id": "cust-ada", "tier": "vip"})
    assert contact_attributes(request) == {"typed_identity": "ada@example.com"}


@pytest.mark.parametrize(("body", "reason"), [
    ("not an object", Refusal.MALFORMED_REQUEST),
    ({"typed_identity": "drop table"}, Refusal.INVALID_IDENTITY),
    ({"display_name": "x" * 257}, Refusal.INVALID_NAME),
    ({"message": " \n "}, Refusal.EMPTY_MESSAGE),
    ({"message": "🙂" * (MAX_MESSAGE_BYTES // 4 + 1)}, Refusal.MESSAGE_TOO_LONG),
    ({"message": 42}, Refusal.MALFORMED_REQUEST),
])
def test_bad_requests_are_refused_with_a_reason(body, reason):
    with pytest.raises(ChatStartRefused) as refused:
        parse_request(body)
    assert refused.value.reason is reason and refused.value.status == 400


def test_a_bad_claim_is_refused_before_connect_is_called():
    connect = FakeConnect()
    claim = sign_claim(b"other", "cust-ada", NOW + timedelta(minutes=5))
    request = parse_request(claim.to_attributes())
    with pytest.raises(ChatStartRefused) as refused:
        start_chat(request, SECRET, connect, instance_id="i", flow_id="f", now=NOW)
    assert (refused.value.status, connect.started) == (401, [])


def test_right_to_left_and_emoji_text_is_passed_on_unchanged():
    connect = FakeConnect()
    text = "مرحبا 🙂 שלום"
    start_chat(parse_request({"message": text}), None, connect, instance_id="i", flow_id="f", now=NOW)
    assert connect.started[0]["InitialMessage"] == {"ContentType": "text/plain", "Content": text}


# --- messages and history ----------------------------------------------------------------------------------------

@given(st.text(max_size=3000))
def test_split_parts_fit_and_join_back(text):
    parts = split_message(text, limit=64)
    assert "".join(parts) == text
    assert all(0 < len(part.encode("utf-8")) <= 64 for part in parts)


def test_a_message_is_checked_in_utf8_bytes():
    assert check_message("a" * MAX_MESSAGE_BYTES) is MessageCheck.OK
    assert check_message("🙂" * (MAX_MESSAGE_BYTES // 4 + 1)) is MessageCheck.TOO_LONG


def test_the_history_ignores_a_known_contact_and_survives_a_bad_entry():
    at = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)
    entry = RecentContact("c-1", "CHAT", at, "billing", "SKILL_MATCH", "", "signed")
    history = with_contact((), entry)
    assert history is not None and with_contact(history, entry) is None
    items = [entry.to_item(), {"contact_id": "x|y", "at": at.isoformat()}, {"at": "not a time"}, "nonsense"]
    read = recent_from_items(items)
    assert [e.contact_id for e in read] == ["c-1"]
    assert to_attribute(read) == "CHAT|2026-11-24T15:30Z|billing|SKILL_MATCH||c-1|signed"
