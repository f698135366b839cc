"""The phone PIN and the verification of a caller, as plain Python with a fake store (no AWS)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from msgspec.structs import replace

from functions.profiles.pin import LOCKOUT, MAX_FAILED_ATTEMPTS, InvalidPin, hash_pin, pin_matches
from functions.profiles.store import PinRecord, ProfileStoreUnavailable
from functions.profiles.verification import (
    NOT_VERIFIED_MESSAGE,
    Result,
    VerificationRequest,
    verify_caller,
)

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
HASH = hash_pin("2468")


class FakePins:
    def __init__(self, record: PinRecord | None, fail: bool = False) -> None:
        self.record, self.fail, self.cleared = record, fail, 0

    def pin_record(self, customer_id: str) -> PinRecord | None:
        if self.fail:
            raise ProfileStoreUnavailable("ThrottlingException")
        return self.record if self.record and self.record.customer_id == customer_id else None

    def record_pin_failure(self, customer_id: str, limit: int, locked_until: datetime) -> bool:
        assert self.record is not None
        failures = self.record.failures + 1
        locked = failures >= limit
        self.record = replace(self.record, failures=0 if locked else failures,
                              locked_until=locked_until if locked else self.record.locked_until)
        return locked

    def clear_pin_failures(self, customer_id: str) -> None:
        assert self.record is not None
        self.record, self.cleared = replace(self.record, failures=0), self.cleared + 1


def ada(pin_hash: str | None = HASH, failures: int = 0, locked_until: datetime | None = None) -> FakePins:
    return FakePins(PinRecord("cust-ada", "Ada Lovelace", pin_hash, failures, locked_until))


def verify(store: FakePins, pin: str = "2468", customer_id: str = "cust-ada", now: datetime = NOW):
    return verify_caller(VerificationRequest(customer_id, pin), store, now)


# --- the PIN ----------------------------------------------------------------------------------------------

def test_a_pin_is_stored_salted_and_matches_only_itself():
    assert HASH.startswith("scrypt$") and "2468" not in HASH
    assert hash_pin("2468") != HASH  # a new salt each time
    assert pin_matches("2468", HASH)
    assert not any(pin_matches(other, HASH) for other in ("2467", "24680", "", "2468#", "0002468"))


@pytest.mark.parametrize("pin", ["123", "123456789", "12a4", " 2468", "\uff12\uff14\uff16\uff18"])
def test_only_4_to_8_ascii_digits_make_a_pin(pin):
    with pytest.raises(InvalidPin):
        hash_pin(pin)


@pytest.mark.parametrize("stored", ["", "x", "scrypt$14$8$1$!!$!!", "bcrypt$14$8$1$AAAA$AAAA",
                                    HASH.replace("scrypt$14$", "scrypt$40$")],
                         ids=["empty", "junk", "bad-base64", "other-scheme", "cost-too-high"])  # salts are random
def test_a_malformed_stored_hash_matches_nothing(stored):
    assert not pin_matches("2468", stored)


# --- verifying a caller -----------------------------------------------------------------------------------

def test_the_right_pin_verifies_and_only_then_gives_the_name():
    answer = verify(ada())
    assert (answer.result, answer.customer_name) == (Result.VERIFIED, "Ada Lovelace")
    assert answer.to_connect()["verified"] == "true"


@pytest.mark.parametrize(("store", "customer_id", "pin", "result"), [
    (ada(), "cust-ada", "1357", Result.NOT_VERIFIED),
    (ada(pin_hash=None), "cust-ada", "2468", Result.NO_PIN),
    (ada(), "cust-nobody", "2468", Result.NO_CUSTOMER),
    (ada(), "", "2468", Result.NO_CUSTOMER),
    (ada(locked_until=NOW + timedelta(minutes=1)), "cust-ada", "2468", Result.LOCKED),
])
def test_every_refusal_says_the_same_and_names_nobody(store, customer_id, pin, result):
    answer = verify(store, pin, customer_id)
    assert (answer.result, answer.message, answer.customer_name) == (result, NOT_VERIFIED_MESSAGE, "")
    assert answer.to_connect()["verified"] == "false"


def test_wrong_pins_in_a_row_lock_the_pin_which_then_refuses_even_the_right_one_until_the_lock_ends():
    store = ada()
    results = [verify(store, "1357").result for _ in range(MAX_FAILED_ATTEMPTS)]
    assert results == [Result.NOT_VERIFIED] * (MAX_FAILED_ATTEMPTS - 1) + [Result.LOCKED]
    assert verify(store, "2468", now=NOW + LOCKOUT - timedelta(seconds=1)).result is Result.LOCKED
    assert verify(store, "2468", now=NOW + LOCKOUT).result is Result.VERIFIED


def test_a_right_pin_forgets_the_wrong_ones_before_it():
    store = ada()
    verify(store, "1357")
    assert verify(store).result is Result.VERIFIED and store.record.failures == 0 and store.cleared == 1
    verify(store)
    assert store.cleared == 1  # nothing to forget: no write


def test_a_store_that_does_not_answer_is_a_polite_refusal():
    failing = verify(FakePins(None, fail=True))
    assert failing.result is Result.UNAVAILABLE and failing.customer_name == ""


@pytest.mark.parametrize("parameters", [{}, {"customer_id": 7, "pin": ["2468"]}, {"customer_id": "c" * 65, "pin": "1"}])
def test_parameters_that_are_not_text_or_are_absurd_count_as_missing(parameters):
    assert VerificationRequest.from_parameters(parameters).customer_id == ""


@pytest.mark.parametrize(("store", "customer_id"), [
    (ada(), "cust-ada"), (ada(pin_hash=None), "cust-ada"), (ada(), "cust-nobody"), (ada(), ""),
    (ada(locked_until=NOW + timedelta(minutes=1)), "cust-ada")])
def test_every_answer_runs_exactly_one_pin_comparison_so_its_time_tells_nothing(monkeypatch, store, customer_id):
    from functions.profiles import verification

    compared = []
    real = verification.pin_matches
    monkeypatch.setattr(verification, "pin_matches", lambda pin, stored: compared.append(pin) or real(pin, stored))
    verify(store, "1357", customer_id)
    assert compared == ["1357"]
