"""The contact-record lake: Connect's CTR stream -> Kinesis -> Firehose (Parquet) -> S3, queried by Athena.

- ``AWS::Connect::InstanceStorageConfig`` (CONTACT_TRACE_RECORDS) streams every contact record to a
  KMS-encrypted Kinesis data stream (on demand, 24 h).
- Firehose reads the stream, partitions by the contact's ``InitiationTimestamp`` date (UTC; dynamic
  partitioning, a JQ query on the record), appends the newline delimiter, converts to Parquet through the Glue
  table (``Attributes`` a ``map<string,string>``: no attribute dropped), and writes
  ``contact_records/dt=YYYY-MM-DD/`` into the KMS-encrypted lake bucket; what it cannot convert goes under
  ``errors/`` and is logged to an encrypted log group.
- The Glue table's columns come from ``analytics.schema`` (the same schema the local Parquet files use);
  ``dt`` is found by partition projection (no crawler, no MSCK REPAIR).
- The Athena workgroup enforces its configuration: results under ``athena-results/``, encrypted with the
  lake's key. The KPI queries and the forecast's two (``forecast_input``, ``forecast_days``) are named queries
  whose text is the sqlglot Athena transpilation of ``analytics/sql/*.sql`` (``analytics.kpis.athena_text``),
  parsed back at synth: synthesis fails on an error.
  CSAT, ticket SLA, outreach conversion and occupancy stay local (``analytics.kpis`` says why).

Retention, on purpose: contact records LAKE_RETENTION_DAYS (two years: a year-on-year comparison), Firehose's
error output ERROR_RETENTION_DAYS, Athena results RESULT_RETENTION_DAYS, the bucket's access logs as long as the
records. Buckets and key are retained when the stack is deleted.

On an existing instance (``connect_instance_arn``) the stack does not associate the stream: Connect keeps one
CTR stream per instance, and an instance shared by stages (or already streaming) keeps the one it has; point it
at this stack's stream (output ``ContactRecordStreamArn``) with ``aws connect associate-instance-storage-config``
when this stage should own the instance's records.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_athena as athena
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_connect as connect
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct

from analytics.kpis import ATHENA_QUERIES, KpiSettings, athena_text
from analytics.schema import CONTACT_RECORDS, glue_columns
from infra.constructs.keys import connect_stream_key, log_group_key
from infra.constructs.recordings import expiry_rules
from infra.nag import acknowledge
from infra.removal import KEEP
from infra.retention import INCOMPLETE_UPLOAD_DAYS, NONCURRENT_DAYS

LAKE_RETENTION_DAYS = 730
ERROR_RETENTION_DAYS = 90
RESULT_RETENTION_DAYS = 30
RESULTS_PREFIX = "athena-results/"
ERRORS_PREFIX = "errors/"
PROJECTION_START = "2024-01-01"


def _expire(rule_id: str, prefix: str, days: int) -> s3.LifecycleRule:
    return s3.LifecycleRule(id=rule_id, prefix=prefix, expiration=cdk.Duration.days(days),
                            noncurrent_version_expiration=cdk.Duration.days(NONCURRENT_DAYS),
                            abort_incomplete_multipart_upload_after=cdk.Duration.days(INCOMPLETE_UPLOAD_DAYS))


class ContactLake(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, instance_arn: str,
                 settings: KpiSettings, associate: bool = True) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        # Connect writes to the stream with its service-linked role, through Kinesis only.
        self.key = connect_stream_key(self, "Key", "Encrypts the contact-record stream, lake and Athena results")
        access_logs = s3.Bucket(
            self, "AccessLogs", encryption=s3.BucketEncryption.S3_MANAGED, enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True, lifecycle_rules=expiry_rules(LAKE_RETENTION_DAYS), removal_policy=KEEP)
        self.bucket = s3.Bucket(
            self, "Bucket", encryption=s3.BucketEncryption.KMS, encryption_key=self.key, bucket_key_enabled=True,
            enforce_ssl=True, block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED, versioned=True,
            server_access_logs_bucket=access_logs, server_access_logs_prefix="contact-lake/",
            lifecycle_rules=[
                _expire("expire-contact-records", f"{CONTACT_RECORDS}/", LAKE_RETENTION_DAYS),
                _expire("expire-delivery-errors", ERRORS_PREFIX, ERROR_RETENTION_DAYS),
                _expire("expire-athena-results", RESULTS_PREFIX, RESULT_RETENTION_DAYS),
                s3.LifecycleRule(id="remove-expired-delete-markers", expired_object_delete_marker=True),
            ],
            removal_policy=KEEP)
        self.stream = kinesis.Stream(
            self, "Stream", encryption=kinesis.StreamEncryption.KMS, encryption_key=self.key,
            stream_mode=kinesis.StreamMode.ON_DEMAND, retention_period=cdk.Duration.hours(24),
            removal_policy=cdk.RemovalPolicy.DESTROY)  # a day's buffer; the lake is the record
        acknowledge(self.stream, "KDS3", "encrypted with the lake's customer-managed key (rotated, retained), whose "
                    "policy lets Connect's service-linked role write through Kinesis only; the AWS-managed key "
                    "could not be scoped that way")
        if associate:  # an instance has one CTR stream: one the stack did not create keeps its own (see above)
            self._associate(instance_arn)
        self.database_name = f"contact_lake_{stage}".replace("-", "_")
        database = glue.CfnDatabase(self, "Database", catalog_id=stack.account,
                                    database_input=glue.CfnDatabase.DatabaseInputProperty(
                                        name=self.database_name,
                                        description="Amazon Connect contact records (Parquet), by date"))
        location = f"s3://{self.bucket.bucket_name}/{CONTACT_RECORDS}/"
        self.table = glue.CfnTable(
            self, "ContactRecords", catalog_id=stack.account, database_name=self.database_name,
            table_input=glue.CfnTable.TableInputProperty(
                name=CONTACT_RECORDS, table_type="EXTERNAL_TABLE",
                description="Connect contact trace records; Attributes as map<string,string>",
                partition_keys=[glue.CfnTable.ColumnProperty(name="dt", type="string")],
                parameters={
                    "classification": "parquet", "projection.enabled": "true", "projection.dt.type": "date",
                    "projection.dt.format": "yyyy-MM-dd", "projection.dt.range": f"{PROJECTION_START},NOW",
                    "projection.dt.interval": "1", "projection.dt.interval.unit": "DAYS",
                    "storage.location.template": f"{location}dt=${{dt}}/",
                },
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    location=location,
                    columns=[glue.CfnTable.ColumnProperty(name=n, type=t) for n, t in glue_columns()],
                    input_format="org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                    output_format="org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                    serde_info=glue.CfnTable.SerdeInfoProperty(
                        serialization_library="org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe")),
            ))
        self.table.node.add_dependency(database)
        self.delivery_stream = self._delivery_stream(stack)
        self.workgroup = self._workgroup(stage)
        for name in ATHENA_QUERIES:
            query = athena.CfnNamedQuery(
                self, f"Query{name.title().replace('_', '')}", database=self.database_name,
                work_group=self.workgroup.name, name=f"kpi-{name.replace('_', '-')}",
                description=f"analytics/sql/{name}.sql, transpiled for Athena by sqlglot",
                query_string=athena_text(name, settings))
            query.node.add_dependency(self.workgroup, self.table)

    def alarm_to(self, topic: sns.ITopic) -> list[cloudwatch.Alarm]:
        """Alarms where the lake would fail silently: records not delivered (the stream keeps them 24 h), late
        deliveries, records Firehose could not convert (they land under errors/, outside the table)."""
        period = cdk.Duration.minutes(5)
        stream_name = {"DeliveryStreamName": self.delivery_stream.ref}
        specs = [
            ("IteratorAge", self.stream.metric_get_records_iterator_age_milliseconds(statistic="Maximum",
                                                                                      period=period),
             3_600_000, "Firehose is over an hour behind the contact-record stream (it keeps records 24 hours)"),
            ("DataFreshness", cloudwatch.Metric(namespace="AWS/Firehose", metric_name="DeliveryToS3.DataFreshness",
                                                dimensions_map=stream_name, statistic="Maximum", period=period),
             900, "contact records wait more than 15 minutes to reach the lake"),
            ("FailedConversion", cloudwatch.Metric(namespace="AWS/Firehose", metric_name="FailedConversion.Records",
                                                   dimensions_map=stream_name, statistic="Sum", period=period),
             1, "contact records failed the Parquet conversion: they are under errors/, outside the KPI table"),
        ]
        alarms = []
        for alarm_id, metric, threshold, description in specs:
            alarm = cloudwatch.Alarm(
                self, f"{alarm_id}Alarm", metric=metric, threshold=threshold, evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING, alarm_description=description)
            alarm.add_alarm_action(actions.SnsAction(topic))
            alarms.append(alarm)
        return alarms

    def _associate(self, instance_arn: str) -> None:
        connect.CfnInstanceStorageConfig(
            self, "ContactRecordStream", instance_arn=instance_arn, resource_type="CONTACT_TRACE_RECORDS",
            storage_type="KINESIS_STREAM",
            kinesis_stream_config=connect.CfnInstanceStorageConfig.KinesisStreamConfigProperty(
                stream_arn=self.stream.stream_arn))

    def _delivery_stream(self, stack: cdk.Stack) -> firehose.CfnDeliveryStream:
        log_key = log_group_key(self, "LogKey", "Encrypts the contact-record delivery stream's error log")
        log_group = logs.LogGroup(self, "DeliveryLog", retention=logs.RetentionDays.THREE_MONTHS,
                                  encryption_key=log_key, removal_policy=KEEP)
        log_stream = logs.LogStream(self, "DeliveryLogStream", log_group=log_group,
                                    removal_policy=KEEP)
        role = iam.Role(self, "DeliveryRole", assumed_by=iam.ServicePrincipal("firehose.amazonaws.com"),
                        description="Firehose: reads the CTR stream, converts via Glue, writes the lake")
        self.stream.grant_read(role)
        self.bucket.grant_read_write(role)  # GetBucketLocation/ListBucket and Put on the lake's objects
        log_group.grant_write(role)
        role.add_to_policy(iam.PolicyStatement(
            actions=["glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"],
            resources=[f"arn:{stack.partition}:glue:{stack.region}:{stack.account}:catalog",
                       f"arn:{stack.partition}:glue:{stack.region}:{stack.account}:database/{self.database_name}",
                       f"arn:{stack.partition}:glue:{stack.region}:{stack.account}:table/{self.database_name}/"
                       f"{CONTACT_RECORDS}"]))
        acknowledge(role, "IAM5[Action::s3:Abort*]", "Bucket.grant_read_write's actions, on the lake bucket only")
        acknowledge(role, "IAM5[Action::s3:DeleteObject*]",
                    "Bucket.grant_read_write's actions, on the lake bucket only (Firehose retries overwrite)")
        acknowledge(role, "IAM5[Action::s3:GetBucket*]", "Bucket.grant_read_write's actions, on the lake bucket only")
        acknowledge(role, "IAM5[Action::s3:GetObject*]", "Bucket.grant_read_write's actions, on the lake bucket only")
        acknowledge(role, "IAM5[Action::s3:List*]", "Bucket.grant_read_write's actions, on the lake bucket only")
        acknowledge(role, "IAM5[Action::kms:GenerateDataKey*]", "the lake key only, for the bucket's and stream's data")
        acknowledge(role, "IAM5[Action::kms:ReEncrypt*]", "the lake key only, granted with the bucket's writes")
        bucket_id = stack.resolve(stack.get_logical_id(self.bucket.node.default_child))  # type: ignore[arg-type]
        acknowledge(role, f"IAM5[Resource::<{bucket_id}.Arn>/*]", "every object of the lake bucket: Firehose "
                    "writes date partitions and error objects under prefixes it names at delivery")
        stream = firehose.CfnDeliveryStream(
            self, "Delivery", delivery_stream_type="KinesisStreamAsSource",
            kinesis_stream_source_configuration=firehose.CfnDeliveryStream.KinesisStreamSourceConfigurationProperty(
                kinesis_stream_arn=self.stream.stream_arn, role_arn=role.role_arn),
            extended_s3_destination_configuration=firehose.CfnDeliveryStream.ExtendedS3DestinationConfigurationProperty(
                bucket_arn=self.bucket.bucket_arn, role_arn=role.role_arn,
                prefix=f"{CONTACT_RECORDS}/dt=!{{partitionKeyFromQuery:dt}}/",
                error_output_prefix=f"{ERRORS_PREFIX}!{{firehose:error-output-type}}/dt=!{{timestamp:yyyy-MM-dd}}/",
                buffering_hints=firehose.CfnDeliveryStream.BufferingHintsProperty(size_in_m_bs=128,
                                                                                 interval_in_seconds=300),
                encryption_configuration=firehose.CfnDeliveryStream.EncryptionConfigurationProperty(
                    kms_encryption_config=firehose.CfnDeliveryStream.KMSEncryptionConfigProperty(
                        awskms_key_arn=self.key.key_arn)),
                cloud_watch_logging_options=firehose.CfnDeliveryStream.CloudWatchLoggingOptionsProperty(
                    enabled=True, log_group_name=log_group.log_group_name, log_stream_name=log_stream.log_stream_name),
                dynamic_partitioning_configuration=firehose.CfnDeliveryStream.DynamicPartitioningConfigurationProperty(
                    enabled=True,
                    retry_options=firehose.CfnDeliveryStream.RetryOptionsProperty(duration_in_seconds=300)),
                processing_configuration=firehose.CfnDeliveryStream.ProcessingConfigurationProperty(
                    enabled=True, processors=[
                        firehose.CfnDeliveryStream.ProcessorProperty(type="MetadataExtraction", parameters=[
                            firehose.CfnDeliveryStream.ProcessorParameterProperty(
                                parameter_name="MetadataExtractionQuery",
                                parameter_value="{dt: .InitiationTimestamp[0:10]}"),
                            firehose.CfnDeliveryStream.ProcessorParameterProperty(
                                parameter_name="JsonParsingEngine", parameter_value="JQ-1.6")]),
                        firehose.CfnDeliveryStream.ProcessorProperty(type="AppendDelimiterToRecord", parameters=[
                            firehose.CfnDeliveryStream.ProcessorParameterProperty(
                                parameter_name="Delimiter", parameter_value="\\n")]),
                    ]),
                data_format_conversion_configuration=firehose.CfnDeliveryStream.DataFormatConversionConfigurationProperty(
                    enabled=True,
                    input_format_configuration=firehose.CfnDeliveryStream.InputFormatConfigurationProperty(
                        deserializer=firehose.CfnDeliveryStream.DeserializerProperty(
                            open_x_json_ser_de=firehose.CfnDeliveryStream.OpenXJsonSerDeProperty(
                                case_insensitive=True))),
                    output_format_configuration=firehose.CfnDeliveryStream.OutputFormatConfigurationProperty(
                        serializer=firehose.CfnDeliveryStream.SerializerProperty(
                            parquet_ser_de=firehose.CfnDeliveryStream.ParquetSerDeProperty(compression="SNAPPY"))),
                    schema_configuration=firehose.CfnDeliveryStream.SchemaConfigurationProperty(
                        catalog_id=stack.account, database_name=self.database_name, table_name=CONTACT_RECORDS,
                        region=stack.region, role_arn=role.role_arn, version_id="LATEST")),
            ))
        stream.node.add_dependency(role.node.find_child("DefaultPolicy"))  # its grants exist before it starts
        stream.node.add_dependency(self.table)
        acknowledge(stream, "KDF1", "the source is the KMS-encrypted Kinesis stream; Firehose offers no server-side "
                    "encryption for a Kinesis source, and its S3 output is encrypted with the lake key")
        return stream

    def _workgroup(self, stage: str) -> athena.CfnWorkGroup:
        return athena.CfnWorkGroup(
            self, "WorkGroup", name=f"contact-lake-{stage}", state="ENABLED",
            description="KPI queries on the contact-record lake; results encrypted, configuration enforced",
            recursive_delete_option=False,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True, publish_cloud_watch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=10 * 1024**3,
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(
                    selected_engine_version="Athena engine version 3"),
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=f"s3://{self.bucket.bucket_name}/{RESULTS_PREFIX}",
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_KMS", kms_key=self.key.key_arn))))
