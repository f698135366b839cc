"""The DynamoDB tables are the PynamoDB models, durable and encrypted with their own rotating keys."""

from __future__ import annotations

import pytest

from functions.data.tables import TABLES, TableSpec, table_schema
from infra.naming import pascal
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra
SPECS = list(TABLES.values())


def _table_path(spec: TableSpec) -> str:
    return f"Tables/{pascal(spec.logical_name)}/Table"


def _key_schema(partition, sort) -> list[dict[str, str]]:
    keys = [{"AttributeName": partition.name, "KeyType": "HASH"}]
    if sort:
        keys.append({"AttributeName": sort.name, "KeyType": "RANGE"})
    return keys


def test_every_declared_table_is_deployed_and_no_other(synthesized: Synthesized) -> None:
    deployed = {synthesized.logical_id(_table_path(spec)) for spec in SPECS}
    assert set(synthesized.of_type("AWS::DynamoDB::Table")) == deployed
    assert {"profiles", "surveys", "followups", "outreach", "outreach_caps"} <= set(TABLES)


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.logical_name)
def test_table_keys_and_indexes_are_the_model_schema(synthesized: Synthesized, spec: TableSpec) -> None:
    # Given the model's schema
    schema = table_schema(spec.model)
    # When the table is synthesized
    properties = synthesized.resource(_table_path(spec))["Properties"]
    # Then keys, attribute types and indexes are exactly the model's
    assert properties["KeySchema"] == _key_schema(schema.partition_key, schema.sort_key)
    keys = [schema.partition_key, schema.sort_key]
    for index in schema.global_indexes:
        keys += [index.partition_key, index.sort_key]
    expected_attributes = {(key.name, key.type) for key in keys if key}
    assert {(a["AttributeName"], a["AttributeType"]) for a in properties["AttributeDefinitions"]} == (
        expected_attributes)
    indexes = {index["IndexName"]: index for index in properties.get("GlobalSecondaryIndexes", [])}
    assert set(indexes) == {index.name for index in schema.global_indexes}
    for index in schema.global_indexes:
        assert indexes[index.name]["KeySchema"] == _key_schema(index.partition_key, index.sort_key)
        assert indexes[index.name]["Projection"]["ProjectionType"] == index.projection


@pytest.mark.parametrize(("table", "index"), [
    ("outreach", "by_due_on"),  # the planner's pending records per day
    ("profiles", "by_warranty_expiry"),  # sparse: only profiles with the date are in the index
    ("profiles", "by_plan_expiry"),
])
def test_the_outreach_indexes_are_deployed(synthesized: Synthesized, table: str, index: str) -> None:
    assert index in {i.name for i in table_schema(TABLES[table].model).global_indexes}
    deployed = synthesized.resource(_table_path(TABLES[table]))["Properties"]["GlobalSecondaryIndexes"]
    assert index in {i["IndexName"] for i in deployed}


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.logical_name)
def test_table_is_durable_on_demand_and_encrypted_with_a_rotating_cmk(
    synthesized: Synthesized, spec: TableSpec
) -> None:
    table = synthesized.resource(_table_path(spec))
    properties = table["Properties"]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["DeletionProtectionEnabled"] is True
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"
    sse = properties["SSESpecification"]
    assert sse["SSEEnabled"] is True
    assert sse["SSEType"] == "KMS"
    key_id = sse["KMSMasterKeyId"]["Fn::GetAtt"][0]
    key = synthesized.resources[key_id]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"
