"""Recognising a customer on the routing path, with botocore directly: the `by_phone` Query (calls, SMS), the
`by_email` Query (a chat's typed address) and the GetItem by customer id (a chat the site's backend signed).

The routing Lambda reads one profile per contact and writes none. Everything else about profiles goes through
PynamoDB (functions/profiles/store.py), whose import costs the routing cold start about 0.07x an
`import boto3` (issue 9's goal for routing is 1.15x), so this module makes the same requests the store makes
(`find_by_phone`, `lookup_by_email`, `get_profile`), with the function's bounded botocore client
(functions/common/aws.py), and reads the item with `profile_from`, which `store.to_profile` uses too: one
mapping from stored attributes to a CustomerProfile. tests/integration/test_caller_lookup.py holds the two reads
equal on the same items.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date
from typing import Any

from aws_lambda_powertools.shared.dynamodb_deserializer import TypeDeserializer
from botocore.exceptions import BotoCoreError, ClientError

from functions.common.aws import bounded_client, error_code
from functions.common.contact_history import recent_from_items
from functions.common.settings import ClientBounds
from functions.common.ticket_overview import overview_from
from functions.profiles.profile import CustomerProfile

TABLE_ENV_VAR = "PROFILES_TABLE_NAME"  # the physical table's name (ProfileItem.Meta.table_env_var)
DEFAULT_TABLE_NAME = "profiles"  # ProfileItem.Meta.table_name before it is bound
BY_PHONE_INDEX = "by_phone"
BY_EMAIL_INDEX = "by_email"
#: What an item without the attribute reads as: the defaults ProfileItem declares, which PynamoDB applies when
#: it reads an item (checked equal by tests/integration/test_caller_lookup.py).
ATTRIBUTE_DEFAULTS: dict[str, Any] = {
    "tier": "standard", "language": "en", "recent_complaints": 0, "consent_voice": False, "consent_sms": False,
    "consent_surveys": False, "opted_out": False, "preferred_channel": "voice", "open_tickets": {},
}
_DESERIALIZER = TypeDeserializer()


class ProfileStoreUnavailable(RuntimeError):
    """DynamoDB did not answer in time (throttled, slow or failing) after bounded retries."""


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def profile_from(values: Mapping[str, Any]) -> CustomerProfile:
    """A stored profile's attributes (name -> Python value, as read, defaults applied) as the domain record. The
    PIN fields are left out, so no domain object carries the hash."""
    return CustomerProfile(
        customer_id=values.get("customer_id"),  # type: ignore[arg-type]
        phone=values.get("phone"),  # type: ignore[arg-type]
        name=values.get("name"),  # type: ignore[arg-type]
        tier=values.get("tier"),  # type: ignore[arg-type]
        language=values.get("language"),  # type: ignore[arg-type]
        time_zone=values.get("time_zone"),
        recent_complaints=int(values.get("recent_complaints") or 0),
        consent_voice=bool(values.get("consent_voice")),
        consent_sms=bool(values.get("consent_sms")),
        consent_surveys=bool(values.get("consent_surveys")),
        opted_out=bool(values.get("opted_out")),
        preferred_channel=values.get("preferred_channel") or "voice",
        warranty_expires=_date(values.get("warranty_expires")),
        plan_expires=_date(values.get("plan_expires")),
        email=values.get("email"),
        tickets=overview_from(values.get("open_tickets")),
        recent_contacts=recent_from_items(values.get("recent_contacts")),
    )


def _client(bounds: ClientBounds) -> Any:
    return bounded_client("dynamodb", bounds.connect_timeout_s, bounds.read_timeout_s, bounds.max_attempts)


def _table() -> str:
    return os.environ.get(TABLE_ENV_VAR) or DEFAULT_TABLE_NAME


def _profile(item: Mapping[str, Any]) -> CustomerProfile:
    return profile_from({**ATTRIBUTE_DEFAULTS,
                         **{name: _DESERIALIZER.deserialize(value) for name, value in item.items()}})


def _first_on_index(index: str, attribute: str, value: str, bounds: ClientBounds) -> CustomerProfile | None:
    """One Query on a profiles index (several profiles with one key: the first one wins)."""
    client = _client(bounds)
    request: dict[str, Any] = {
        "TableName": _table(),
        "IndexName": index,
        "KeyConditionExpression": "#key = :key",
        "ExpressionAttributeNames": {"#key": attribute},
        "ExpressionAttributeValues": {":key": {"S": value}},
        "Limit": 1,
    }
    while True:
        page = client.query(**request)
        for item in page.get("Items", []):
            return _profile(item)
        if "LastEvaluatedKey" not in page:
            return None
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def find_by_phone(e164: str, bounds: ClientBounds) -> CustomerProfile | None:
    """One Query on the by_phone index, as `store.find_by_phone` makes it; the table is the one
    PROFILES_TABLE_NAME names."""
    return _first_on_index(BY_PHONE_INDEX, "phone", e164, bounds)


def find_by_email(address: str, bounds: ClientBounds) -> CustomerProfile | None:
    """One Query on the by_email index. Addresses are stored in email-validator's normal form (the importer:
    domain lower-cased, local part as written), so the typed address is put in that form, as
    `store.lookup_by_email` does."""
    local, _, domain = address.strip().rpartition("@")
    return _first_on_index(BY_EMAIL_INDEX, "email", f"{local}@{domain.lower()}", bounds)


def get_by_customer_id(customer_id: str, bounds: ClientBounds) -> CustomerProfile | None:
    """One GetItem by customer id, as `store.get_profile` reads it."""
    item = _client(bounds).get_item(TableName=_table(), Key={"customer_id": {"S": customer_id}}).get("Item")
    return _profile(item) if item else None


def lookup_by_phone(e164: str, bounds: ClientBounds) -> CustomerProfile | None:
    """find_by_phone, with every DynamoDB/botocore failure turned into ProfileStoreUnavailable (its code only)."""
    try:
        return find_by_phone(e164, bounds)
    except (BotoCoreError, ClientError) as exc:
        raise ProfileStoreUnavailable(error_code(exc)) from exc


def lookup_by_email(address: str, bounds: ClientBounds) -> CustomerProfile | None:
    """find_by_email; failures as ProfileStoreUnavailable."""
    try:
        return find_by_email(address, bounds)
    except (BotoCoreError, ClientError) as exc:
        raise ProfileStoreUnavailable(error_code(exc)) from exc


def lookup_by_customer_id(customer_id: str, bounds: ClientBounds) -> CustomerProfile | None:
    """get_by_customer_id; failures as ProfileStoreUnavailable."""
    try:
        return get_by_customer_id(customer_id, bounds)
    except (BotoCoreError, ClientError) as exc:
        raise ProfileStoreUnavailable(error_code(exc)) from exc
