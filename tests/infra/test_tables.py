"""The DynamoDB tables are the PynamoDB models, durable and encrypted with their own rotating keys."""

from __future__ import annotations

import pytest

from functions.storage.schema import table_schema
from functions.tables import TABLES, TableSpec
from infra.naming import pascal
from infra.removal import KEEP_DELETION_POLICY
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
    # Kept on delete and replacement, deleted only if its own creation rolls back, so deletion protection is off
    # until the first deployment has succeeded (infra/removal.py; the context switches it on)
    assert properties["DeletionProtectionEnabled"] is False
    assert table["DeletionPolicy"] == KEEP_DELETION_POLICY
    assert table["UpdateReplacePolicy"] == "Retain"
    sse = properties["SSESpecification"]
    assert sse["SSEEnabled"] is True
    assert sse["SSEType"] == "KMS"
    key_id = sse["KMSMasterKeyId"]["Fn::GetAtt"][0]
    key = synthesized.resources[key_id]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == KEEP_DELETION_POLICY


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.logical_name)
def test_table_has_a_stream_exactly_when_its_model_asks_for_one(synthesized: Synthesized, spec: TableSpec) -> None:
    # Given the model's stream view type (None: no stream)
    view_type = table_schema(spec.model).stream_view_type
    # When the table is synthesized
    properties = synthesized.resource(_table_path(spec))["Properties"]
    # Then it streams that view, or not at all
    if view_type is None:
        assert "StreamSpecification" not in properties
    else:
        assert properties["StreamSpecification"] == {"StreamViewType": view_type}


def test_the_tickets_table_streams_old_and_new_images_for_ticket_events(synthesized: Synthesized) -> None:
    # ticket-events compares the old and the new history to find the status changes to announce
    assert table_schema(TABLES["tickets"].model).stream_view_type == "NEW_AND_OLD_IMAGES"
    properties = synthesized.resource(_table_path(TABLES["tickets"]))["Properties"]
    assert properties["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_an_unknown_stream_view_type_stops_the_synthesis(monkeypatch: pytest.MonkeyPatch) -> None:
    import aws_cdk as cdk
    import msgspec

    from infra.constructs import tables

    # Given a model whose schema asks for a view type DynamoDB does not have
    monkeypatch.setattr(tables, "table_schema",
                        lambda model: msgspec.structs.replace(table_schema(model), stream_view_type="EVERYTHING"))
    # When its table is built, Then the synthesis stops with the reason
    with pytest.raises(ValueError, match="unknown stream_view_type 'EVERYTHING'"):
        tables.ModelTable(cdk.Stack(cdk.App(), "Odd"), "Odd", spec=TABLES["tickets"])
