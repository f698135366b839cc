"""The contact-record lake: Connect's CTR stream -> encrypted Kinesis -> Firehose (Parquet via Glue, by date) ->
encrypted, expiring S3; Glue partition projection; an enforced, encrypted Athena workgroup; the KPI named queries
are the Athena transpilation of analytics/sql/, checked at synth."""

from __future__ import annotations

from typing import Any

import pytest
import sqlglot

from analytics.kpis import ATHENA_QUERIES, athena_text, policy_settings
from analytics.schema import glue_columns
from infra.removal import KEEP_DELETION_POLICY
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra


def only(synthesized: Synthesized, resource_type: str) -> dict[str, Any]:
    found = synthesized.of_type(resource_type)
    assert len(found) == 1, f"one {resource_type} expected, found {len(found)}"
    return next(iter(found.values()))["Properties"]


def test_connect_streams_contact_records_to_an_encrypted_stream(synthesized):
    configs = [c["Properties"] for c in synthesized.of_type("AWS::Connect::InstanceStorageConfig").values()
               if c["Properties"]["ResourceType"] == "CONTACT_TRACE_RECORDS"]
    assert len(configs) == 1
    config = configs[0]
    assert config["StorageType"] == "KINESIS_STREAM"
    stream_id = config["KinesisStreamConfig"]["StreamArn"]["Fn::GetAtt"][0]
    stream = synthesized.resources[stream_id]["Properties"]
    assert stream["StreamEncryption"]["EncryptionType"] == "KMS"


def test_firehose_converts_to_parquet_by_contact_date(synthesized):
    delivery = only(synthesized, "AWS::KinesisFirehose::DeliveryStream")
    s3 = delivery["ExtendedS3DestinationConfiguration"]
    assert delivery["DeliveryStreamType"] == "KinesisStreamAsSource"
    assert s3["Prefix"] == "contact_records/dt=!{partitionKeyFromQuery:dt}/"
    assert s3["ErrorOutputPrefix"].startswith("errors/")
    assert s3["DynamicPartitioningConfiguration"]["Enabled"] is True
    processors = {p["Type"]: {q["ParameterName"]: q["ParameterValue"] for q in p["Parameters"]}
                  for p in s3["ProcessingConfiguration"]["Processors"]}
    assert processors["MetadataExtraction"]["MetadataExtractionQuery"] == "{dt: .InitiationTimestamp[0:10]}"
    assert processors["AppendDelimiterToRecord"]["Delimiter"] == "\\n"
    conversion = s3["DataFormatConversionConfiguration"]
    assert conversion["Enabled"] is True and "ParquetSerDe" in conversion["OutputFormatConfiguration"]["Serializer"]
    assert conversion["SchemaConfiguration"]["TableName"] == "contact_records"
    assert "AWSKMSKeyARN" in s3["EncryptionConfiguration"]["KMSEncryptionConfig"]
    assert s3["CloudWatchLoggingOptions"]["Enabled"] is True


def test_glue_table_keeps_attributes_as_a_map_and_projects_dates(synthesized):
    table = only(synthesized, "AWS::Glue::Table")["TableInput"]
    columns = {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}
    assert columns["attributes"] == "map<string,string>"
    assert columns["queue"].startswith("struct<arn:string,name:string,enqueuetimestamp:string")
    assert list(columns.items()) == glue_columns()
    assert table["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
    assert table["Parameters"]["projection.enabled"] == "true"
    assert table["Parameters"]["projection.dt.type"] == "date"


def test_lake_bucket_is_encrypted_logged_and_expires(synthesized):
    delivery = only(synthesized, "AWS::KinesisFirehose::DeliveryStream")
    bucket_id = delivery["ExtendedS3DestinationConfiguration"]["BucketARN"]["Fn::GetAtt"][0]
    bucket = synthesized.resources[bucket_id]
    properties = bucket["Properties"]
    rule = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert rule["SSEAlgorithm"] == "aws:kms"
    assert "LoggingConfiguration" in properties
    expiring = {r["Prefix"]: r["ExpirationInDays"] for r in properties["LifecycleConfiguration"]["Rules"]
                if "Prefix" in r}
    assert expiring == {"contact_records/": 730, "errors/": 90, "athena-results/": 30}
    assert bucket["DeletionPolicy"] == KEEP_DELETION_POLICY


def test_athena_workgroup_enforces_encrypted_results(synthesized):
    config = only(synthesized, "AWS::Athena::WorkGroup")["WorkGroupConfiguration"]
    assert config["EnforceWorkGroupConfiguration"] is True
    assert config["ResultConfiguration"]["EncryptionConfiguration"]["EncryptionOption"] == "SSE_KMS"


def test_named_queries_are_the_athena_text_of_the_kpi_sql(synthesized):
    queries = {q["Properties"]["Name"]: q["Properties"]["QueryString"]
               for q in synthesized.of_type("AWS::Athena::NamedQuery").values()}
    assert set(queries) == {f"kpi-{name.replace('_', '-')}" for name in ATHENA_QUERIES}
    settings = policy_settings()
    for name in ATHENA_QUERIES:
        text = queries[f"kpi-{name.replace('_', '-')}"]
        assert text == athena_text(name, settings)
        sqlglot.parse_one(text, read="athena")  # parses as Athena SQL
        assert "FROM contact_records" in text


def test_delivery_role_reads_only_its_glue_table(synthesized):
    delivery = only(synthesized, "AWS::KinesisFirehose::DeliveryStream")
    role_id = delivery["ExtendedS3DestinationConfiguration"]["RoleARN"]["Fn::GetAtt"][0]
    policies = [p["Properties"] for p in synthesized.of_type("AWS::IAM::Policy").values()]
    statements = [s for p in policies if {"Ref": role_id} in p["Roles"] for s in p["PolicyDocument"]["Statement"]]
    glue = [s for s in statements if any(str(a).startswith("glue:") for a in s["Action"])]
    assert glue and all("*" not in str(s["Resource"]).split("contact_records")[-1] for s in glue)
    assert all(not str(a).startswith("glue:") or a.startswith("glue:Get") for s in statements
               for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]]))


def test_silent_lake_failures_are_alarmed(synthesized):
    every = [a["Properties"] for a in synthesized.of_type("AWS::CloudWatch::Alarm").values()]
    alarms = {a["MetricName"]: a for a in every if a.get("Namespace") in ("AWS/Firehose", "AWS/Kinesis")}
    expected = {"GetRecords.IteratorAgeMilliseconds", "DeliveryToS3.DataFreshness", "FailedConversion.Records"}
    assert expected <= set(alarms)
    assert all(alarm["AlarmActions"] for alarm in alarms.values())


def test_an_existing_instance_keeps_its_contact_record_stream(on_existing_instance):
    # Connect keeps one CTR stream per instance: the stack builds the lake but does not take the stream over.
    assert not on_existing_instance.of_type("AWS::Connect::InstanceStorageConfig")
    assert on_existing_instance.of_type("AWS::KinesisFirehose::DeliveryStream")
