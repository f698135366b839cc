"""Every DynamoDB table of the product, declared once.

CDK (infra/constructs/tables.py) builds each table from `table_schema(model)`;
the local backend and the tests create the same tables from the same models.
Table names are bound at run time from the environment variable named here.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from pynamodb.models import Model

from functions.common.settings import ClientBounds, dynamodb_bounds
from functions.data.outreach import ContactCapItem, OutreachItem
from functions.data.profiles import ProfileItem
from functions.data.surveys import FollowUpItem, SurveyItem
from functions.data.ticket_notifications import TicketNotificationItem
from functions.data.tickets import TicketItem


@dataclass(frozen=True)
class TableSpec:
    logical_name: str  # used in CDK construct ids and in the function manifest
    model: type[Model]
    env_var: str  # the environment variable that carries the physical table name


TABLES: dict[str, TableSpec] = {
    "profiles": TableSpec("profiles", ProfileItem, "PROFILES_TABLE_NAME"),
    "surveys": TableSpec("surveys", SurveyItem, "SURVEYS_TABLE_NAME"),
    "followups": TableSpec("followups", FollowUpItem, "FOLLOWUPS_TABLE_NAME"),
    "outreach": TableSpec("outreach", OutreachItem, "OUTREACH_TABLE_NAME"),
    "outreach_caps": TableSpec("outreach_caps", ContactCapItem, "OUTREACH_CAPS_TABLE_NAME"),
    "tickets": TableSpec("tickets", TicketItem, "TICKETS_TABLE_NAME"),
    "ticket_notifications": TableSpec("ticket_notifications", TicketNotificationItem,
                                      "TICKET_NOTIFICATIONS_TABLE_NAME"),
}


@dataclass(frozen=True)
class KeyAttribute:
    name: str
    type: str  # "S" | "N" | "B"


@dataclass(frozen=True)
class IndexSchema:
    name: str
    partition_key: KeyAttribute
    sort_key: KeyAttribute | None
    projection: str  # "ALL" | "KEYS_ONLY" | "INCLUDE"


@dataclass(frozen=True)
class TableSchema:
    partition_key: KeyAttribute
    sort_key: KeyAttribute | None
    global_indexes: tuple[IndexSchema, ...]
    stream_view_type: str | None = None  # "NEW_AND_OLD_IMAGES" etc. when the model's Meta asks for a stream


def table_schema(model: type[Model]) -> TableSchema:
    """The key schema and indexes of a PynamoDB model, in DynamoDB terms."""
    schema = model._get_schema()
    types = {a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]}

    def keys(key_schema: list[dict]) -> tuple[KeyAttribute, KeyAttribute | None]:
        by_type = {k["KeyType"]: KeyAttribute(k["AttributeName"], types[k["AttributeName"]]) for k in key_schema}
        return by_type["HASH"], by_type.get("RANGE")

    pk, sk = keys(schema["key_schema"])
    indexes = []
    for gsi in schema["global_secondary_indexes"]:
        ipk, isk = keys(gsi["key_schema"])
        indexes.append(IndexSchema(gsi["index_name"], ipk, isk, gsi["projection"]["ProjectionType"]))
    return TableSchema(pk, sk, tuple(indexes), getattr(model.Meta, "stream_view_type", None))


def bind_tables(environ: dict[str, str] | None = None) -> None:
    """Point every model at the table named in its environment variable (if set)."""
    env = os.environ if environ is None else environ
    for spec in TABLES.values():
        name = env.get(spec.env_var)
        if name:
            spec.model.Meta.table_name = name


_configured: set[tuple[tuple[type[Model], ...], ClientBounds]] = set()


def configure_data_access(models: Iterable[type[Model]], default: ClientBounds) -> None:
    """Once per execution environment and caller, on first use (never at import): bind table names from
    the environment and bound the models' clients (the DDB_* variables override `default`)."""
    key = (tuple(models), default)
    if key in _configured:
        return
    bind_tables()
    bounds = dynamodb_bounds(default)
    for model in key[0]:
        configure_client(model, connect_timeout=bounds.connect_timeout_s, read_timeout=bounds.read_timeout_s,
                         max_attempts=bounds.max_attempts)
    _configured.add(key)


def reset_data_access() -> None:
    """Tests and the local runtime: configure again on next use (e.g. after changing table names)."""
    _configured.clear()


def configure_client(model: type[Model], *, connect_timeout: float, read_timeout: float, max_attempts: int) -> None:
    """Bound the time a request may take: short timeouts, few retries (standard mode, with jitter)."""
    meta = model.Meta
    meta.connect_timeout_seconds = connect_timeout
    meta.read_timeout_seconds = read_timeout
    meta.max_retry_attempts = max_attempts - 1
    meta.retry_configuration = {"total_max_attempts": max_attempts, "mode": "standard"}
    model._connection = None  # rebuilt lazily with the new settings
