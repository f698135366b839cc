"""The key schema and indexes of a PynamoDB model in DynamoDB terms: what CDK builds a table from
(infra/constructs/tables.py) and what the tests compare the template with. No handler imports it."""

from __future__ import annotations

import msgspec
from pynamodb.models import Model


class KeyAttribute(msgspec.Struct, frozen=True):
    name: str
    type: str  # "S" | "N" | "B"


class IndexSchema(msgspec.Struct, frozen=True):
    name: str
    partition_key: KeyAttribute
    sort_key: KeyAttribute | None
    projection: str  # "ALL" | "KEYS_ONLY" | "INCLUDE"


class TableSchema(msgspec.Struct, frozen=True):
    partition_key: KeyAttribute
    sort_key: KeyAttribute | None
    global_indexes: tuple[IndexSchema, ...]
    stream_view_type: str | None = None  # "NEW_AND_OLD_IMAGES" etc. when the model's Meta asks for a stream
    ttl_attribute: str | None = None  # the expiry attribute (epoch seconds) when the model's Meta names one


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
    return TableSchema(pk, sk, tuple(indexes), getattr(model.Meta, "stream_view_type", None),
                       getattr(model.Meta, "ttl_attribute", None))
