"""The deployment's context values (cdk.json `context` or `-c key=value`), read and checked without CDK.

One reading for the CDK app (infra/application.py), the pre-flight check (`callcenter deploy-check`) and the
local runtime (the VIP line number), so the three cannot disagree about what a value means. Unset and "" (the
cdk.json defaults) mean "not given". This module imports no aws_cdk: the pre-flight check and the local
runtime run without starting jsii.

The telephony keys:

| context key            | what it sets                                                                          |
| ---------------------- | ------------------------------------------------------------------------------------- |
| `phone_number_arn`     | use a number already claimed to the instance (arn:aws:connect:<region>:<account>:     |
|                        | phone-number/<id>, the ARN ListPhoneNumbersV2 returns); nothing is claimed             |
| `phone_number_country` | claim a number in this country (ISO 3166 alpha-2, e.g. US); with `phone_number_type`   |
| `phone_number_type`    | TOLL_FREE or DID (the types AWS::Connect::PhoneNumber claims for an instance)          |
| `phone_number_prefix`  | optional, with a claim: the number starts with this (+ and digits, e.g. +1206)        |
| `vip_line_number`      | the dedicated VIP number (E.164) the routing policy's `vip` line answers to; unset: no |
|                        | VIP line when deployed, and locally policy.json's fictional number                    |
| `deletion_protection`  | `true` turns DynamoDB and Cognito deletion protection on (infra/removal.py says when)  |
| `chat_site_origin`     | the company site's https origin whose pages start chats (CORS on POST /chat/start)     |

The default context names no number: nothing billed is claimed by accident, and `deploy-check` says so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from functions.common.phone import NumberStatus, parse_phone

PHONE_NUMBER_ARN_KEY = "phone_number_arn"
PHONE_NUMBER_COUNTRY_KEY = "phone_number_country"
PHONE_NUMBER_TYPE_KEY = "phone_number_type"
PHONE_NUMBER_PREFIX_KEY = "phone_number_prefix"
VIP_LINE_KEY = "vip_line_number"
DELETION_PROTECTION_KEY = "deletion_protection"
VIP_LINE = "vip"  # the policy.json line the VIP number is for
# The types AWS::Connect::PhoneNumber claims to an instance (UIFN, SHARED and the THIRD_PARTY_* types need a
# traffic distribution group or an import, which this stack does not manage).
CLAIMABLE_TYPES = ("TOLL_FREE", "DID")
# The phone-number ARN without the instance in its path: what AWS::Connect::PhoneNumber returns and what a queue's
# OutboundCallerIdNumberArn accepts (CloudFormation's pattern for that property).
PHONE_NUMBER_ARN = re.compile(
    r"^arn:aws[a-z-]*:connect:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):phone-number/(?P<id>[-a-zA-Z0-9]+)$")
COUNTRY = re.compile(r"^[A-Z]{2}$")
PREFIX = re.compile(r"^\+[0-9]{1,15}$")
TRUE, FALSE = frozenset({"true", "yes", "1"}), frozenset({"false", "no", "0"})

ContextReader = Callable[[str], str | None]


class ContextError(ValueError):
    """A context value that cannot be deployed; the message names the key and says what it must be."""


@dataclass(frozen=True)
class PhoneNumberSpec:
    """The center's number: claimed by the stack (country and type) or an existing one (ARN)."""

    arn: str | None = None
    country: str | None = None
    type: str | None = None
    prefix: str | None = None

    @property
    def claims(self) -> bool:
        return self.arn is None

    @property
    def number_id(self) -> str | None:
        """The id of an existing number (the last part of its ARN)."""
        match = PHONE_NUMBER_ARN.match(self.arn or "")
        return match["id"] if match else None

    def describe(self) -> str:
        if self.arn:
            return f"the existing number {self.arn}"
        return f"a {self.type} number claimed in {self.country}" + (f" starting {self.prefix}" if self.prefix else "")


def value_reader(values: Mapping[str, Any]) -> ContextReader:
    """A reader over a context mapping: a value as stripped text, unset and "" as None."""
    def read(key: str) -> str | None:
        value = values.get(key)
        if value is None:
            return None
        return str(value).strip() or None
    return read


def phone_number(read: ContextReader) -> PhoneNumberSpec | None:
    """The configured number, None when the context names none; a half-given or malformed one is an error."""
    arn, country = read(PHONE_NUMBER_ARN_KEY), read(PHONE_NUMBER_COUNTRY_KEY)
    kind, prefix = read(PHONE_NUMBER_TYPE_KEY), read(PHONE_NUMBER_PREFIX_KEY)
    if arn:
        if country or kind or prefix:
            raise ContextError(f"{PHONE_NUMBER_ARN_KEY} takes an existing number: leave {PHONE_NUMBER_COUNTRY_KEY}, "
                               f"{PHONE_NUMBER_TYPE_KEY} and {PHONE_NUMBER_PREFIX_KEY} unset (they claim a new one)")
        if not PHONE_NUMBER_ARN.match(arn):
            raise ContextError(f"{PHONE_NUMBER_ARN_KEY} {arn!r} is not a Connect phone-number ARN "
                               "(arn:aws:connect:<region>:<account>:phone-number/<id>, as ListPhoneNumbersV2 returns)")
        return PhoneNumberSpec(arn=arn)
    if not (country or kind or prefix):
        return None
    if not country or not kind:
        raise ContextError(f"claiming a number needs both {PHONE_NUMBER_COUNTRY_KEY} and {PHONE_NUMBER_TYPE_KEY} "
                           f"(got {PHONE_NUMBER_COUNTRY_KEY}={country!r}, {PHONE_NUMBER_TYPE_KEY}={kind!r})")
    if not COUNTRY.match(country):
        raise ContextError(f"{PHONE_NUMBER_COUNTRY_KEY} {country!r} must be an ISO 3166 alpha-2 code such as US")
    if kind not in CLAIMABLE_TYPES:
        raise ContextError(f"{PHONE_NUMBER_TYPE_KEY} {kind!r} must be one of {', '.join(CLAIMABLE_TYPES)}")
    if prefix is not None and not PREFIX.match(prefix):
        raise ContextError(f"{PHONE_NUMBER_PREFIX_KEY} {prefix!r} must be + and digits, e.g. +1206")
    return PhoneNumberSpec(country=country, type=kind, prefix=prefix)


def vip_line_number(read: ContextReader) -> str | None:
    """The VIP line's number in E.164, None when unset; anything that is not a valid number is an error."""
    raw = read(VIP_LINE_KEY)
    if raw is None:
        return None
    parsed = parse_phone(raw)
    if parsed.status is not NumberStatus.VALID or parsed.e164 != raw:
        raise ContextError(f"{VIP_LINE_KEY} {raw!r} must be a valid number written in E.164 (+ and digits)")
    return raw


CHAT_SITE_ORIGIN_KEY = "chat_site_origin"
ORIGIN = re.compile(r"^https://[A-Za-z0-9.-]+(:\d{1,5})?$")


def chat_site_origin(read: ContextReader) -> str | None:
    """The company site's origin (https://host[:port]) whose pages call POST /chat/start (CORS); None: unset."""
    raw = read(CHAT_SITE_ORIGIN_KEY)
    if raw is None:
        return None
    if not ORIGIN.match(raw):
        raise ContextError(f"{CHAT_SITE_ORIGIN_KEY} {raw!r} must be an https origin, e.g. https://www.example.com")
    return raw


def deletion_protection(read: ContextReader) -> bool:
    raw = read(DELETION_PROTECTION_KEY)
    if raw is None or raw.lower() in FALSE:
        return False
    if raw.lower() in TRUE:
        return True
    raise ContextError(f"{DELETION_PROTECTION_KEY} must be true or false, got {raw!r}")


def cdk_json_context(path: Path) -> dict[str, Any]:
    """The `context` object of a cdk.json file (an empty one when the file has none)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ContextError(f"cannot read the context of {path}: {exc}") from exc
    context = document.get("context", {}) if isinstance(document, dict) else None
    if not isinstance(context, dict):
        raise ContextError(f"{path}: 'context' must be an object")
    return context


def with_overrides(context: Mapping[str, Any], assignments: list[str]) -> dict[str, Any]:
    """`context` with `-c KEY=VALUE` assignments applied on top, as the CDK CLI applies them."""
    merged = dict(context)
    for item in assignments:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ContextError(f"-c {item!r}: expected KEY=VALUE")
        merged[key.strip()] = value
    return merged
