"""DynamoDB tables built from the PynamoDB models (functions/tables.py), so keys cannot drift.

A model whose Meta names a `stream_view_type` gets a stream of that view type (the tickets table:
NEW_AND_OLD_IMAGES, read by ticket-events); a model without one gets no stream. A model whose Meta names a
`ttl_attribute` gets DynamoDB's time to live on it (the insights table: hints expire with their contact).
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

from functions.storage.schema import KeyAttribute, TableSchema, table_schema
from functions.tables import TABLES, TableSpec
from infra.naming import pascal
from infra.removal import KEEP

ATTRIBUTE_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}
STREAM_VIEW_TYPES = {
    "NEW_IMAGE": dynamodb.StreamViewType.NEW_IMAGE,
    "OLD_IMAGE": dynamodb.StreamViewType.OLD_IMAGE,
    "NEW_AND_OLD_IMAGES": dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    "KEYS_ONLY": dynamodb.StreamViewType.KEYS_ONLY,
}
PROJECTIONS = {
    "ALL": dynamodb.ProjectionType.ALL,
    "KEYS_ONLY": dynamodb.ProjectionType.KEYS_ONLY,
}


def _attribute(key: KeyAttribute | None) -> dynamodb.Attribute | None:
    return dynamodb.Attribute(name=key.name, type=ATTRIBUTE_TYPES[key.type]) if key else None


class ModelTable(Construct):
    """One table from a TableSpec: on demand, its own rotating CMK, PITR, retained except on a failed create,
    deletion protection once the stack exists (`deletion_protection`, see infra/removal.py)."""

    def __init__(self, scope: Construct, construct_id: str, *, spec: TableSpec,
                 deletion_protection: bool = False) -> None:
        super().__init__(scope, construct_id)
        self.spec = spec
        self.schema: TableSchema = table_schema(spec.model)
        view_type = self.schema.stream_view_type
        if view_type is not None and view_type not in STREAM_VIEW_TYPES:
            raise ValueError(f"{spec.logical_name}: unknown stream_view_type {view_type!r} "
                             f"(one of {', '.join(STREAM_VIEW_TYPES)})")
        self.key = kms.Key(
            self, "Key",
            description=f"Encrypts the {spec.logical_name} DynamoDB table",
            enable_key_rotation=True,
            removal_policy=KEEP,
        )
        self.table = dynamodb.Table(
            self, "Table",
            partition_key=_attribute(self.schema.partition_key),
            sort_key=_attribute(self.schema.sort_key),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True),
            deletion_protection=deletion_protection,
            stream=STREAM_VIEW_TYPES[view_type] if view_type else None,
            time_to_live_attribute=self.schema.ttl_attribute,
            removal_policy=KEEP,
        )
        for index in self.schema.global_indexes:
            if index.projection not in PROJECTIONS:
                # INCLUDE needs the non-key attribute list, which table_schema() does not carry.
                raise ValueError(f"{spec.logical_name}.{index.name}: projection {index.projection} "
                                 "is not supported by the table construct")
            self.table.add_global_secondary_index(
                index_name=index.name,
                partition_key=_attribute(index.partition_key),
                sort_key=_attribute(index.sort_key),
                projection_type=PROJECTIONS[index.projection],
            )

    @property
    def stream_arn(self) -> str:
        """The ARN of the table's latest stream; only for a model that declares a stream_view_type."""
        if self.table.table_stream_arn is None:
            raise ValueError(f"table {self.spec.logical_name!r} has no stream (its model sets no stream_view_type)")
        return self.table.table_stream_arn

    @property
    def index_arns(self) -> list[str]:
        return [f"{self.table.table_arn}/index/{index.name}" for index in self.schema.global_indexes]


class Tables(Construct):
    """Every table of the product (functions.tables.TABLES), by logical name."""

    def __init__(self, scope: Construct, construct_id: str,
                 *, specs: Mapping[str, TableSpec] = TABLES, deletion_protection: bool = False) -> None:
        super().__init__(scope, construct_id)
        self.by_name: dict[str, ModelTable] = {
            name: ModelTable(self, pascal(name), spec=spec, deletion_protection=deletion_protection)
            for name, spec in specs.items()
        }
