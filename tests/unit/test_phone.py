from hypothesis import given
from hypothesis import strategies as st

from functions.common.phone import (
    InvalidPhoneNumber,
    NumberStatus,
    mask_name,
    mask_phone,
    normalize_e164,
    parse_phone,
)


def test_national_and_international_formats_normalise_to_e164():
    assert normalize_e164("(415) 555-0100") == "+14155550100"
    assert normalize_e164("+1 415 555 0100") == "+14155550100"
    assert normalize_e164("020 7946 0000", default_region="GB") == "+442079460000"


def test_withheld_markers_and_missing_numbers_are_withheld_not_errors():
    for raw in (None, "", "  ", "anonymous", "Restricted", "WITHHELD"):
        assert parse_phone(raw).status is NumberStatus.WITHHELD


def test_invalid_numbers_say_why():
    short = parse_phone("12345")
    assert short.status is NumberStatus.INVALID and short.problem
    assert parse_phone("not a number").status is NumberStatus.INVALID
    assert parse_phone(4155550100).status is NumberStatus.INVALID
    assert parse_phone("+1" + "9" * 60).problem == "too long to be a phone number"


def test_normalize_raises_a_clear_error():
    try:
        normalize_e164("+999")
    except InvalidPhoneNumber as exc:
        assert str(exc)
    else:
        raise AssertionError("expected InvalidPhoneNumber")


@given(st.from_regex(r"\+1[2-9]\d{2}[2-9]\d{6}", fullmatch=True))
def test_a_masked_number_never_shows_the_subscriber_digits(number):
    masked = mask_phone(number)
    assert number not in masked
    assert number[-7:-2] not in masked.replace("*", "")
    assert masked.endswith(number[-2:])


@given(st.text(max_size=60))
def test_masking_never_fails_on_any_text(text):
    assert isinstance(mask_phone(text), str)
    assert isinstance(mask_name(text), str)


def test_names_are_reduced_to_initials():
    assert mask_name("Ada Lovelace") == "A. L."
    assert mask_name("") == "<none>"
