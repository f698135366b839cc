"""The deployment's telephony context (infra/context.py) and the routing policy's line numbers from it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from callcenter.lines import local_line_numbers
from functions.routing.policy import POLICY_PATH, PolicyError, load_policy, policy_with_lines
from infra.context import (
    ContextError,
    PhoneNumberSpec,
    cdk_json_context,
    deletion_protection,
    phone_number,
    value_reader,
    vip_line_number,
    with_overrides,
)

NUMBER_ARN = "arn:aws:connect:us-east-1:111122223333:phone-number/5f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b"


def _read(**values: str) -> object:
    return value_reader(values)


def test_no_number_in_the_context_is_none() -> None:
    assert phone_number(_read(phone_number_arn="", phone_number_country="", phone_number_type="")) is None


def test_a_claim_takes_country_type_and_an_optional_prefix() -> None:
    spec = phone_number(_read(phone_number_country="US", phone_number_type="DID", phone_number_prefix="+1206"))
    assert spec == PhoneNumberSpec(country="US", type="DID", prefix="+1206")
    assert spec.claims and spec.number_id is None


def test_an_existing_number_is_taken_by_its_arn() -> None:
    spec = phone_number(_read(phone_number_arn=NUMBER_ARN))
    assert spec is not None and not spec.claims
    assert spec.number_id == "5f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b"


@pytest.mark.parametrize(("values", "says"), [
    ({"phone_number_country": "US"}, "needs both phone_number_country and phone_number_type"),
    ({"phone_number_type": "TOLL_FREE"}, "needs both"),
    ({"phone_number_country": "usa", "phone_number_type": "DID"}, "ISO 3166 alpha-2"),
    ({"phone_number_country": "US", "phone_number_type": "UIFN"}, "must be one of TOLL_FREE, DID"),
    ({"phone_number_country": "US", "phone_number_type": "DID", "phone_number_prefix": "206"}, "+ and digits"),
    ({"phone_number_arn": "arn:aws:connect:us-east-1:111122223333:instance/x/phone-number/y"}, "phone-number ARN"),
    ({"phone_number_arn": NUMBER_ARN, "phone_number_country": "US"}, "leave phone_number_country"),
])
def test_a_half_given_or_malformed_number_is_refused_with_the_key_named(values: dict[str, str], says: str) -> None:
    with pytest.raises(ContextError, match=says.replace("+", r"\+")):
        phone_number(value_reader(values))


def test_the_vip_line_number_must_be_e164() -> None:
    assert vip_line_number(_read(vip_line_number="+18005550123")) == "+18005550123"
    assert vip_line_number(_read(vip_line_number="")) is None
    with pytest.raises(ContextError, match="vip_line_number"):
        vip_line_number(_read(vip_line_number="800-555-0123"))


def test_deletion_protection_is_a_clear_yes_or_no() -> None:
    assert deletion_protection(_read()) is False
    assert deletion_protection(_read(deletion_protection="true")) is True
    assert deletion_protection(_read(deletion_protection="false")) is False
    with pytest.raises(ContextError, match="true or false"):
        deletion_protection(_read(deletion_protection="sometimes"))


def test_the_deployed_vip_number_replaces_the_fictional_one() -> None:
    policy = policy_with_lines((("vip", ("+18005550123",)),))
    assert policy.lines["vip"] == ("+18005550123",)
    assert load_policy().lines["vip"] == ("+18005550199",)  # the file itself is untouched
    assert policy_with_lines((("vip", ()),)).lines["vip"] == ()  # no number: the rule matches no call


def test_line_numbers_are_validated_like_the_policy_file() -> None:
    with pytest.raises(PolicyError, match="gold"):
        policy_with_lines((("gold", ("+18005550123",)),))
    with pytest.raises(PolicyError, match=r"E\.164"):
        policy_with_lines((("vip", ("800-555-0123",)),))


def test_with_line_numbers_a_broken_policy_file_is_still_reported_as_such(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text("{not json", encoding="utf-8")
    with pytest.raises(PolicyError, match="not valid JSON"):
        policy_with_lines((("vip", ("+18005550123",)),), policy)
    document = json.loads(POLICY_PATH.read_text(encoding="utf-8"))
    document["default_queue"] = "nowhere"
    policy.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(PolicyError, match="default_queue 'nowhere'"):
        policy_with_lines((("vip", ("+18005550123",)),), policy)
    with pytest.raises(PolicyError, match="default_queue 'nowhere'"):  # the file's own problem comes first
        policy_with_lines((("gold", ("+18005550123",)),), policy)


def test_local_runs_take_the_vip_number_from_cdk_json_else_the_fictional_default(tmp_path: Path) -> None:
    policy = load_policy()
    cdk_json = tmp_path / "cdk.json"
    cdk_json.write_text(json.dumps({"context": {"vip_line_number": ""}}), encoding="utf-8")
    assert local_line_numbers(policy, cdk_json)["vip"] == ("+18005550199",)
    cdk_json.write_text(json.dumps({"context": {"vip_line_number": "+18005550123"}}), encoding="utf-8")
    assert local_line_numbers(policy, cdk_json)["vip"] == ("+18005550123",)
    # And the repository's cdk.json names no VIP number: local runs and the demo keep the fictional one
    assert local_line_numbers(policy)["vip"] == ("+18005550199",)


def test_context_overrides_apply_on_top_of_cdk_json_as_the_cdk_cli_does(tmp_path: Path) -> None:
    cdk_json = tmp_path / "cdk.json"
    cdk_json.write_text(json.dumps({"app": "x", "context": {"stage": "dev", "phone_number_type": ""}}),
                        encoding="utf-8")
    context = with_overrides(cdk_json_context(cdk_json), ["phone_number_type=DID", "phone_number_country=US"])
    assert context == {"stage": "dev", "phone_number_type": "DID", "phone_number_country": "US"}
    with pytest.raises(ContextError, match="KEY=VALUE"):
        with_overrides({}, ["phone_number_type"])


def test_an_unreadable_cdk_json_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "cdk.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ContextError, match="cannot read the context"):
        cdk_json_context(broken)
