"""The pre-flight check's account part (infra/preflight.py) against stubbed AWS answers, and its reading of
docs/capacity.md. The offline part against real synthesized templates is in tests/infra/test_deployment.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.context import PhoneNumberSpec
from infra.preflight import (
    BOOTSTRAP_VERSION_PARAMETER,
    Level,
    account_findings,
    capacity_targets,
    number_findings,
    offline_findings,
)
from tests.unit.stubbed_aws import StubbedAccount

TARGETS = {"concurrent active calls per instance": 11000, "GetContactAttributes": 350}
CONTEXT = {"stage": "prod", "email_from_identity": "updates@example.com",
           "sms_origination_identity": "phone-0123456789abcdef0123456789abcdef"}


def _assembly(tmp_path: Path, version: int = 6) -> Path:
    (tmp_path / "manifest.json").write_text(json.dumps({"artifacts": {"ContactCenter-prod": {
        "properties": {"requiresBootstrapStackVersion": version}}}}), encoding="utf-8")
    return tmp_path


def _quota(name: str, value: float) -> dict[str, Any]:
    return {"QuotaName": name, "Value": value, "ServiceCode": "connect", "QuotaCode": "L-X"}


def _answer(account: StubbedAccount, *, bootstrapped: bool = True, production: bool = True,
            sms_tier: str = "PRODUCTION", calls: float = 11000, attributes_rate: float = 350, concurrency: int = 1000,
            stack_exists: bool = False, two_way: bool = True) -> None:
    account.stub("sts").add_response("get_caller_identity", {"Account": "111122223333"})
    if bootstrapped:
        account.stub("ssm").add_response("get_parameter", {"Parameter": {"Name": BOOTSTRAP_VERSION_PARAMETER,
                                                                         "Value": "21"}},
                                         {"Name": BOOTSTRAP_VERSION_PARAMETER})
    else:
        account.stub("ssm").add_client_error("get_parameter", "ParameterNotFound", http_status_code=400)
    ses = account.stub("sesv2")
    ses.add_response("get_account", {"ProductionAccessEnabled": production})
    ses.add_response("get_email_identity", {"VerifiedForSendingStatus": True},
                     {"EmailIdentity": "updates@example.com"})
    sms = account.stub("pinpoint-sms-voice-v2")
    sms.add_response("describe_account_attributes",
                     {"AccountAttributes": [{"Name": "ACCOUNT_TIER", "Value": sms_tier}]})
    sms.add_response("describe_phone_numbers", {"PhoneNumbers": [{
        "PhoneNumberArn": "arn:x", "PhoneNumber": "+18005550111", "Status": "ACTIVE", "IsoCountryCode": "US",
        "MessageType": "TRANSACTIONAL", "NumberCapabilities": ["SMS"], "NumberType": "TOLL_FREE",
        "MonthlyLeasingPrice": "2", "TwoWayEnabled": two_way,
        **({"TwoWayChannelArn": "arn:aws:sns:us-east-1:111122223333:callcenter-prod-sms-inbound"} if two_way else {}),
        "SelfManagedOptOutsEnabled": False,
        "OptOutListName": "Default", "DeletionProtectionEnabled": False, "CreatedTimestamp": 0}]})
    account.stub("service-quotas").add_response("list_service_quotas", {"Quotas": [
        _quota("Concurrent active calls per instance", calls),
        _quota("Rate of GetContactAttributes API requests", attributes_rate)]}, {"ServiceCode": "connect"})
    account.stub("lambda").add_response("get_account_settings", {"AccountLimit": {
        "ConcurrentExecutions": concurrency, "UnreservedConcurrentExecutions": concurrency}})
    cloudformation = account.stub("cloudformation")
    if stack_exists:
        cloudformation.add_response("describe_stacks", {"Stacks": [{
            "StackName": "ContactCenter-prod", "CreationTime": 0, "StackStatus": "CREATE_COMPLETE"}]})
    else:
        cloudformation.add_client_error("describe_stacks", "ValidationError",
                                        "Stack with id ContactCenter-prod does not exist")


def _missing(findings: list[Any]) -> list[str]:
    return [f"{f.subject}: {f.message}" for f in findings if f.level is Level.MISSING]


def test_a_ready_account_misses_nothing(tmp_path: Path) -> None:
    account = StubbedAccount()
    _answer(account)
    findings = account_findings(CONTEXT, _assembly(tmp_path), account.client, capacity=TARGETS)
    assert _missing(findings) == []
    assert not [f for f in findings if f.level is Level.NOTE]  # every check could ask
    account.assert_all_answered()


def test_each_missing_piece_is_named(tmp_path: Path) -> None:
    # Given a fresh account: not bootstrapped, SES and SMS in their sandboxes, default quotas, a small Lambda limit
    account = StubbedAccount()
    _answer(account, bootstrapped=False, production=False, sms_tier="SANDBOX", calls=10, attributes_rate=2,
            concurrency=400, stack_exists=True, two_way=False)
    missing = _missing(account_findings(CONTEXT, _assembly(tmp_path), account.client, capacity=TARGETS))
    # Then every one of them is named
    assert any(m.startswith("bootstrap: account 111122223333 is not bootstrapped") for m in missing)
    assert any(m.startswith("e-mail: SES is in the sandbox") for m in missing)
    assert any(m.startswith("SMS: End User Messaging SMS is in the sandbox") for m in missing)
    assert any(m.startswith("SMS: origination number") and "SmsInboundTopicArn" in m for m in missing)
    assert any("Concurrent active calls per instance is 10" in m and "11,000" in m for m in missing)
    assert any("GetContactAttributes API requests is 2" in m and "350" in m for m in missing)
    assert any(m.startswith("Lambda: the account's concurrency is 400") for m in missing)
    assert any(m.startswith("deletion protection: ContactCenter-prod exists") for m in missing)
    assert len(missing) == 8


def test_a_pilot_sees_low_quotas_as_notes(tmp_path: Path) -> None:
    account = StubbedAccount()
    _answer(account, calls=10, attributes_rate=2)
    findings = account_findings(CONTEXT, _assembly(tmp_path), account.client, capacity=TARGETS, pilot=True)
    assert _missing(findings) == []
    assert [f.level for f in findings if f.subject == "quotas"] == [Level.NOTE, Level.NOTE]


def test_an_old_bootstrap_stack_is_missing(tmp_path: Path) -> None:
    account = StubbedAccount()
    _answer(account)
    missing = _missing(account_findings(CONTEXT, _assembly(tmp_path, version=30), account.client, capacity=TARGETS))
    assert missing == ["bootstrap: the bootstrap stack is version 21, the assembly needs 30: run `npx cdk bootstrap` "
                       "again"]


def test_a_refused_request_is_a_note_not_a_crash(tmp_path: Path) -> None:
    account = StubbedAccount()
    account.stub("sts").add_response("get_caller_identity", {"Account": "111122223333"})
    account.stub("ssm").add_client_error("get_parameter", "AccessDeniedException", http_status_code=403)
    account.stub("service-quotas").add_client_error("list_service_quotas", "AccessDeniedException",
                                                    http_status_code=403)
    account.stub("lambda").add_client_error("get_account_settings", "AccessDeniedException", http_status_code=403)
    account.stub("cloudformation").add_client_error("describe_stacks", "AccessDenied", http_status_code=403)
    findings = account_findings({"stage": "prod"}, _assembly(tmp_path), account.client, capacity=TARGETS)
    assert _missing(findings) == []
    assert {f.subject for f in findings if f.level is Level.NOTE} == {"bootstrap", "quotas", "Lambda",
                                                                      "deletion protection"}


def test_the_quota_figures_come_from_docs_capacity_md() -> None:
    assert capacity_targets() == {"concurrent active calls per instance": 11000, "GetContactAttributes": 350,
                                  "StartOutboundVoiceContact": 120}


def test_a_region_without_connect_is_missing(tmp_path: Path) -> None:
    findings = offline_findings({"stage": "prod"}, tmp_path, "eu-south-2", ["us-east-1", "eu-west-2"])
    assert any(f.level is Level.MISSING and f.subject == "Region" for f in findings)


@pytest.mark.parametrize("template", [{"Resources": {}}, None])
def test_a_configured_number_missing_from_the_template_or_no_template(template: dict[str, Any] | None) -> None:
    spec = PhoneNumberSpec(country="US", type="DID")
    levels = [f.level for f in number_findings(spec, template)]
    assert levels == ([Level.MISSING] if template is not None else [Level.NOTE])
