"""The pre-flight check before a deployment (`callcenter deploy-check`): what is missing, each piece named.

Offline it reads the context (cdk.json, `-c` overrides) and the synthesized template (`make synth` writes
cdk.out/ContactCenter-<stage>.template.json): a number for the center (claimed or existing) present in the template
and wired to the inbound flow and the queues, a Region where Amazon Connect runs, concurrency caps on the queue
consumers that call Connect, and notes on what is off (VIP line, SMS, e-mail, deletion protection).

With AWS credentials it also asks the account (`account_findings`): the CDK bootstrap stack's version against what
the assembly needs, an existing instance ACTIVE, an existing number CLAIMED to it, SES out of the sandbox with the
From identity verified, the SMS account tier and the origination number's status, the Connect quotas against the
figures docs/capacity.md sizes for the target load (`capacity_targets` reads them from that file), the Lambda
concurrency the capacity model needs, and a deployed stack still without deletion protection.

A finding is MISSING (deploying now would leave the center unable to take or place calls, or fail) or a NOTE
(deliberately off, or not checkable). Exit 0 when nothing is missing, 1 otherwise. No aws_cdk here: it runs without
starting jsii.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from botocore.client import BaseClient
from botocore.exceptions import BotoCoreError, ClientError

from functions.manifest import FUNCTIONS, SqsSource
from infra.context import (
    PHONE_NUMBER_ARN_KEY,
    PHONE_NUMBER_COUNTRY_KEY,
    PHONE_NUMBER_TYPE_KEY,
    ContextError,
    PhoneNumberSpec,
    deletion_protection,
    phone_number,
    value_reader,
    vip_line_number,
)

CAPACITY_DOC = Path(__file__).resolve().parent.parent / "docs" / "capacity.md"
BOOTSTRAP_VERSION_PARAMETER = "/cdk-bootstrap/hnb659fds/version"
LAMBDA_CONCURRENCY_NEEDED = 1000  # docs/capacity.md, "AWS Lambda": raise if the account shows less
UNRESERVED_MINIMUM = 100  # Lambda keeps at least this many executions unreserved
ClientFor = Callable[[str], BaseClient]


class Level(StrEnum):
    MISSING = "MISSING"
    NOTE = "note"
    OK = "ok"


@dataclass(frozen=True)
class Finding:
    level: Level
    subject: str
    message: str

    def line(self) -> str:
        return f"{self.level.value:<8} {self.subject}: {self.message}"


def stack_name(stage: str) -> str:
    return f"ContactCenter-{stage}"  # as infra/application.py names it


def _missing(subject: str, message: str) -> Finding:
    return Finding(Level.MISSING, subject, message)


def _note(subject: str, message: str) -> Finding:
    return Finding(Level.NOTE, subject, message)


def _ok(subject: str, message: str) -> Finding:
    return Finding(Level.OK, subject, message)


def _resources(template: Mapping[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [r for r in template.get("Resources", {}).values() if r.get("Type") == resource_type]


def number_findings(spec: PhoneNumberSpec | None, template: Mapping[str, Any] | None) -> list[Finding]:
    """Is a number configured, and does the synthesized template claim or use it, answer with it, dial out from it?"""
    if spec is None:
        return [_missing("phone number", "no phone number is configured: set "
                         f"{PHONE_NUMBER_COUNTRY_KEY} and {PHONE_NUMBER_TYPE_KEY} to claim one, or "
                         f"{PHONE_NUMBER_ARN_KEY} to use one already claimed to the instance; without it no call "
                         "reaches the inbound flow and no survey or outreach call can be placed (no caller ID)")]
    if template is None:
        return [_note("phone number", f"{spec.describe()} (not compared with a template)")]
    claimed = _resources(template, "AWS::Connect::PhoneNumber")
    associations = _resources(template, "Custom::PhoneNumberContactFlow")
    queues = _resources(template, "AWS::Connect::Queue")
    stale = "the synthesized template does not match the context: run `make synth` again with the same context"
    if spec.claims and not any(r["Properties"].get("CountryCode") == spec.country
                               and r["Properties"].get("Type") == spec.type for r in claimed):
        return [_missing("phone number", f"{spec.describe()} is configured, but the template claims none; {stale}")]
    if not spec.claims and (claimed or not any(r["Properties"].get("PhoneNumberId") == spec.number_id
                                               for r in associations)):
        return [_missing("phone number", f"{spec.describe()} is configured, but the template does not use it; {stale}")]
    if not associations:
        return [_missing("phone number", f"the template does not associate the number with the inbound flow; {stale}")]
    without_caller_id = [r for r in queues if not r["Properties"].get("OutboundCallerConfig")]
    if not queues or without_caller_id:
        return [_missing("outbound caller ID",
                         f"{len(without_caller_id)} queue(s) have no outbound caller ID; {stale}")]
    return [_ok("phone number", f"{spec.describe()}: answers with the inbound flow, caller ID of all {len(queues)} "
                "queues, kept when the stack is deleted")]


def consumer_findings() -> list[Finding]:
    """Every queue consumer that calls Connect runs at a capped concurrency (docs/capacity.md, "Amazon Connect")."""
    findings = []
    for spec in FUNCTIONS.values():
        if spec.connect_actions and isinstance(spec.source, SqsSource):
            cap = spec.source.maximum_concurrency
            if cap is None:
                findings.append(_missing("concurrency", f"{spec.name} calls Connect but has no maximum_concurrency"))
            else:
                findings.append(_ok("concurrency", f"{spec.name} runs at most {cap} instances "
                                    f"({', '.join(f'{a} {r:g}/s' for a, r in spec.connect_rates.items())})"))
    return findings


def offline_findings(context: Mapping[str, Any], cdk_out: Path, region: str | None,
                     connect_regions: list[str]) -> list[Finding]:
    """What the context and the synthesized template say, without AWS."""
    read = value_reader(context)
    stage = read("stage") or "dev"
    findings: list[Finding] = []
    try:
        spec = phone_number(read)
    except ContextError as exc:
        findings.append(_missing("phone number", str(exc)))
        spec = None
    template_path = cdk_out / f"{stack_name(stage)}.template.json"
    template = json.loads(template_path.read_text(encoding="utf-8")) if template_path.is_file() else None
    if template is None:
        findings.append(_missing("template", f"{template_path} does not exist: run `make synth` (same context) first"))
    if not any(f.subject == "phone number" for f in findings):
        findings += number_findings(spec, template)
    if region is None:
        findings.append(_note("Region", "no AWS Region is set (AWS_REGION or AWS_DEFAULT_REGION): cdk deploy will "
                              "use the profile's; Amazon Connect runs in " + ", ".join(connect_regions)))
    elif region not in connect_regions:
        findings.append(_missing("Region", f"Amazon Connect does not run in {region}; use one of "
                                 + ", ".join(connect_regions)))
    else:
        findings.append(_ok("Region", f"{region} has Amazon Connect"))
    findings += _optional_findings(read)
    findings += consumer_findings()
    return findings


def _optional_findings(read: Callable[[str], str | None]) -> list[Finding]:
    findings = []
    try:
        vip = vip_line_number(read)
        findings.append(_ok("VIP line", f"calls to {vip} go to the VIP queue") if vip else
                        _note("VIP line", "vip_line_number is unset: the VIP line rule matches no call"))
    except ContextError as exc:
        findings.append(_missing("VIP line", str(exc)))
    if not read("email_from_identity"):
        findings.append(_note("e-mail", "email_from_identity is unset: ticket updates are not e-mailed"))
    if not read("sms_origination_identity"):
        findings.append(_note("SMS", "sms_origination_identity is unset: no SMS surveys, reminders or ticket updates"))
    try:
        if not deletion_protection(read):
            findings.append(_note("deletion protection", "off: right for the first deployment (a rollback can then "
                                  "delete what it created); set deletion_protection=true once the stack exists"))
    except ContextError as exc:
        findings.append(_missing("deletion protection", str(exc)))
    return findings


def capacity_targets(path: Path = CAPACITY_DOC) -> dict[str, int]:
    """The Amazon Connect quotas docs/capacity.md asks to raise, and to what: quota label -> figure."""
    text = path.read_text(encoding="utf-8")
    section = text.split("## Amazon Connect", 1)[1].split("\n## ", 1)[0]
    targets: dict[str, int] = {}
    for row in section.splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        raise_to = re.search(r"\*\*raise\*\* to ([\d,]+)", cells[-1]) if len(cells) >= 4 else None
        if raise_to:
            targets[cells[0].strip("`")] = int(raise_to.group(1).replace(",", ""))
    return targets


def _code(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or "ClientError")
    return type(exc).__name__


def _asking(subject: str, ask: Callable[[], list[Finding]]) -> list[Finding]:
    """Run one account check; a refusal or a failure to ask is a note, never a crash."""
    try:
        return ask()
    except (ClientError, BotoCoreError) as exc:
        return [_note(subject, f"could not check ({_code(exc)})")]


def required_bootstrap_version(cdk_out: Path, stage: str) -> int | None:
    """The bootstrap stack version the assembly's stack needs (cdk.out/manifest.json), None if not written."""
    manifest = cdk_out / "manifest.json"
    if not manifest.is_file():
        return None
    artifact = json.loads(manifest.read_text(encoding="utf-8")).get("artifacts", {}).get(stack_name(stage), {})
    version = artifact.get("properties", {}).get("requiresBootstrapStackVersion")
    return int(version) if version is not None else None


def account_findings(context: Mapping[str, Any], cdk_out: Path, client: ClientFor, *, pilot: bool = False,
                     capacity: Mapping[str, int] | None = None) -> list[Finding]:
    """What the account says (see the module doc). `pilot`: quotas below the capacity model are notes, not missing."""
    read = value_reader(context)
    stage = read("stage") or "dev"
    findings: list[Finding] = []
    account = client("sts").get_caller_identity()["Account"]
    findings += _asking("bootstrap", lambda: _bootstrap(client, account, required_bootstrap_version(cdk_out, stage)))
    instance_arn = read("connect_instance_arn")
    if instance_arn:
        findings += _asking("instance", lambda: _instance(client, instance_arn))
    try:
        spec = phone_number(read)
    except ContextError:
        spec = None  # already named offline
    if spec is not None and not spec.claims:
        findings += _asking("phone number", lambda: _existing_number(client, spec, instance_arn))
    if read("email_from_identity"):
        findings += _asking("e-mail", lambda: _ses(client, str(read("email_from_identity"))))
    if read("sms_origination_identity"):
        findings += _asking("SMS", lambda: _sms(client, str(read("sms_origination_identity"))))
    targets = capacity if capacity is not None else capacity_targets()
    findings += _asking("quotas", lambda: _connect_quotas(client, targets, pilot))
    findings += _asking("Lambda", lambda: _lambda_concurrency(client, read("routing_reserved_concurrency")))
    findings += _asking("deletion protection", lambda: _deployed_protection(client, stage, read))
    return findings


def _bootstrap(client: ClientFor, account: str, required: int | None) -> list[Finding]:
    try:
        value = client("ssm").get_parameter(Name=BOOTSTRAP_VERSION_PARAMETER)["Parameter"]["Value"]
    except ClientError as exc:
        if _code(exc) != "ParameterNotFound":
            raise
        return [_missing("bootstrap", f"account {account} is not bootstrapped in this Region: run "
                         f"`npx cdk bootstrap aws://{account}/<region>`")]
    if required is not None and int(value) < required:
        return [_missing("bootstrap", f"the bootstrap stack is version {value}, the assembly needs {required}: run "
                         "`npx cdk bootstrap` again")]
    return [_ok("bootstrap", f"CDK bootstrap version {value}")]


def _instance(client: ClientFor, instance_arn: str) -> list[Finding]:
    status = client("connect").describe_instance(InstanceId=instance_arn.rsplit("/", 1)[-1])["Instance"].get(
        "InstanceStatus")
    if status != "ACTIVE":
        return [_missing("instance", f"{instance_arn} is {status}, not ACTIVE")]
    return [_ok("instance", f"{instance_arn} is ACTIVE")]


def _existing_number(client: ClientFor, spec: PhoneNumberSpec, instance_arn: str | None) -> list[Finding]:
    summary = client("connect").describe_phone_number(PhoneNumberId=spec.number_id)["ClaimedPhoneNumberSummary"]
    status = summary.get("PhoneNumberStatus", {}).get("Status")
    if status != "CLAIMED":
        return [_missing("phone number", f"{spec.arn} is {status}, not CLAIMED")]
    if instance_arn and summary.get("TargetArn") != instance_arn:
        return [_missing("phone number", f"{spec.arn} is claimed to {summary.get('TargetArn')}, not {instance_arn}")]
    return [_ok("phone number", f"{summary.get('PhoneNumber')} is claimed ({summary.get('PhoneNumberType')})")]


def _ses(client: ClientFor, address: str) -> list[Finding]:
    ses = client("sesv2")
    findings = []
    if not ses.get_account().get("ProductionAccessEnabled"):
        findings.append(_missing("e-mail", "SES is in the sandbox here: mail reaches verified recipients only; request "
                                 "production access (SES console, Account dashboard)"))
    verified = False
    for identity in (address, address.split("@", 1)[-1]):  # the address itself, else its domain
        try:
            verified = bool(ses.get_email_identity(EmailIdentity=identity).get("VerifiedForSendingStatus"))
        except ClientError as exc:
            if _code(exc) != "NotFoundException":
                raise
        if verified:
            break
    if not verified:
        findings.append(_missing("e-mail", f"neither {address} nor its domain is a verified SES identity"))
    return findings or [_ok("e-mail", f"SES production access; {address} may send")]


def _sms(client: ClientFor, identity: str) -> list[Finding]:
    sms = client("pinpoint-sms-voice-v2")
    findings = []
    tiers = {a["Name"]: a["Value"] for a in sms.describe_account_attributes().get("AccountAttributes", [])}
    if tiers.get("ACCOUNT_TIER") == "SANDBOX":
        findings.append(_missing("SMS", "End User Messaging SMS is in the sandbox: texts reach verified destination "
                                 "numbers only; request production access"))
    number_id = identity.rsplit("/", 1)[-1]
    if number_id.startswith("phone-"):
        (number,) = sms.describe_phone_numbers(PhoneNumberIds=[number_id])["PhoneNumbers"]
        if number.get("Status") != "ACTIVE":
            findings.append(_missing("SMS", f"origination number {number_id} is {number.get('Status')}: its "
                                     "registration (10DLC or toll-free verification in the US) is not complete"))
        channel = str(number.get("TwoWayChannelArn") or "")
        if not number.get("TwoWayEnabled") or not channel.endswith("-sms-inbound"):
            findings.append(_missing("SMS", f"origination number {number_id} does not send inbound SMS to the "
                                     "stack's topic: survey replies and STOP would not reach the center; enable "
                                     "two-way SMS with the SmsInboundTopicArn output as its destination (README, "
                                     "Deploying)"))
    return findings or [_ok("SMS", f"production tier; {number_id} is active")]


def _connect_quotas(client: ClientFor, targets: Mapping[str, int], pilot: bool) -> list[Finding]:
    quotas = []
    for page in client("service-quotas").get_paginator("list_service_quotas").paginate(ServiceCode="connect"):
        quotas += page.get("Quotas", [])
    findings = []
    for label, needed in targets.items():
        words = label.lower().replace("concurrent active calls per instance", "concurrent active calls")
        match = next((q for q in quotas if words in q.get("QuotaName", "").lower()), None)
        if match is None:
            findings.append(_note("quotas", f"{label}: not listed by Service Quotas here; check it against "
                                  f"{needed:,} (docs/capacity.md)"))
        elif match["Value"] < needed:
            finding = _note if pilot else _missing
            findings.append(finding("quotas", f"{match['QuotaName']} is {match['Value']:g}; docs/capacity.md sizes "
                                    f"{needed:,} for the target load: request the increase"))
        else:
            findings.append(_ok("quotas", f"{match['QuotaName']} {match['Value']:g} (needs {needed:,})"))
    return findings


def _lambda_concurrency(client: ClientFor, reserved: str | None) -> list[Finding]:
    settings = client("lambda").get_account_settings()["AccountLimit"]
    total, unreserved = settings["ConcurrentExecutions"], settings["UnreservedConcurrentExecutions"]
    findings = []
    if total < LAMBDA_CONCURRENCY_NEEDED:
        findings.append(_missing("Lambda", f"the account's concurrency is {total}; docs/capacity.md needs "
                                 f"{LAMBDA_CONCURRENCY_NEEDED}: request the increase"))
    if reserved and reserved.isdigit() and unreserved - int(reserved) < UNRESERVED_MINIMUM:
        findings.append(_missing("Lambda", f"routing_reserved_concurrency {reserved} would leave fewer than "
                                 f"{UNRESERVED_MINIMUM} unreserved executions ({unreserved} now): the deployment "
                                 "fails"))
    return findings or [_ok("Lambda", f"concurrency {total}, {unreserved} unreserved")]


def _deployed_protection(client: ClientFor, stage: str, read: Callable[[str], str | None]) -> list[Finding]:
    try:
        client("cloudformation").describe_stacks(StackName=stack_name(stage))
    except ClientError as exc:
        if "does not exist" in str(exc.response.get("Error", {}).get("Message", "")):
            return []  # a first deployment: protection stays off until it has succeeded
        raise
    if deletion_protection(read):
        return [_ok("deletion protection", "on for the deployed stack's tables and user pool")]
    return [_missing("deletion protection", f"{stack_name(stage)} exists: set deletion_protection=true so its tables "
                     "and the agents' user pool refuse deletion")]
