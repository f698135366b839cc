"""The Lambda functions of functions/manifest.py, each wired to its tables and to the Connect instance.

Least privilege, from the manifest: a function may read (GetItem, Query on the table and its indexes)
only the tables in `tables_read` and write only those in `tables_written`; its role has no managed
policies, only its own log group, X-Ray, and those tables and their keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_connect as connect
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from functions.data.tables import TABLES
from functions.manifest import FUNCTIONS, FunctionSpec
from infra.constructs.tables import ModelTable
from infra.nag import acknowledge
from infra.naming import pascal

# Must match infra/bundling.py, which installs the dependencies for this platform.
RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.ARM_64
LOG_RETENTION = logs.RetentionDays.ONE_MONTH
READ_ACTIONS = ("dynamodb:GetItem", "dynamodb:Query")
WRITE_ACTIONS = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem")
READ_KEY_ACTIONS = ("kms:Decrypt",)
WRITE_KEY_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey")


class ConnectFunctions(Construct):
    """Every manifest function: code from the local bundle, arm64 python3.14, traced, logged, scoped."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        asset_dir: Path,
        tables: Mapping[str, ModelTable],
        wired_environment: Mapping[str, str],
        instance_arn: str,
        instance_account: str,
        specs: Mapping[str, FunctionSpec] = FUNCTIONS,
    ) -> None:
        super().__init__(scope, construct_id)
        self.code = lambda_.Code.from_asset(str(asset_dir))
        self.log_key = self._log_key()
        self.by_name: dict[str, lambda_.Function] = {}
        self.associations: dict[str, connect.CfnIntegrationAssociation] = {}
        for name, spec in specs.items():
            missing = sorted(set(spec.wired_environment) - set(wired_environment))
            if missing:
                raise ValueError(f"function {name!r} needs {', '.join(missing)}, which the stack does not wire")
            unknown = sorted(set(spec.tables_read + spec.tables_written) - set(tables))
            if unknown:
                raise ValueError(f"function {name!r} uses unknown tables {', '.join(unknown)}")
            function = self._function(spec, tables, wired_environment)
            function.add_permission(
                "ConnectInvoke",
                principal=iam.ServicePrincipal("connect.amazonaws.com"),
                source_arn=instance_arn,
                source_account=instance_account,
            )
            self.associations[name] = connect.CfnIntegrationAssociation(
                self, f"{pascal(name)}Association",
                instance_id=instance_arn,
                integration_type="LAMBDA_FUNCTION",
                integration_arn=function.function_arn,
            )
            self.by_name[name] = function

    def _log_key(self) -> kms.Key:
        key = kms.Key(self, "LogKey", description="Encrypts the Lambda functions' log groups",
                      enable_key_rotation=True, removal_policy=cdk.RemovalPolicy.RETAIN)
        key.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ServicePrincipal(f"logs.{cdk.Aws.REGION}.amazonaws.com")],
            actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            resources=["*"],
            conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn":
                                    f"arn:{cdk.Aws.PARTITION}:logs:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:*"}},
        ))
        return key

    def _function(
        self, spec: FunctionSpec, tables: Mapping[str, ModelTable], wired_environment: Mapping[str, str]
    ) -> lambda_.Function:
        scope = Construct(self, pascal(spec.name))
        log_group = logs.LogGroup(scope, "Logs", retention=LOG_RETENTION, encryption_key=self.log_key,
                                  removal_policy=cdk.RemovalPolicy.RETAIN)
        role = iam.Role(scope, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                        description=f"Runs the {spec.name} function")
        # No AWSLambdaBasicExecutionRole: write access to this function's own log group only.
        role.add_to_policy(iam.PolicyStatement(
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[log_group.log_group_arn],
        ))
        environment = dict(spec.environment)
        for table_name in dict.fromkeys(spec.tables_read + spec.tables_written):
            environment[TABLES[table_name].env_var] = tables[table_name].table.table_name
        environment.update({name: wired_environment[name] for name in spec.wired_environment})
        function = lambda_.Function(
            scope, "Function",
            description=spec.description,
            code=self.code,
            handler=spec.handler,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            timeout=cdk.Duration.seconds(spec.timeout_seconds),
            memory_size=spec.memory_mb,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=log_group,
            role=role,
            environment=environment,
        )
        # lambda.Function depends on its role construct, so the template says DependsOn the role (besides
        # its policy) although Role: GetAtt already orders them; cfn-lint flags that redundancy (W3005).
        function.node.default_child.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3005"]}})
        acknowledge(
            role, "IAM5[Resource::*]",
            "Active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no "
            "resource-level permissions; this is the only wildcard resource in the role.")
        for table_name in spec.tables_read:
            table = tables[table_name]
            self._grant(role, table, READ_ACTIONS, [table.table.table_arn, *table.index_arns], READ_KEY_ACTIONS)
        for table_name in spec.tables_written:
            table = tables[table_name]
            self._grant(role, table, WRITE_ACTIONS, [table.table.table_arn], WRITE_KEY_ACTIONS)
        return function

    @staticmethod
    def _grant(role: iam.Role, table: ModelTable, actions: tuple[str, ...], resources: list[str],
               key_actions: tuple[str, ...]) -> None:
        # Explicit actions on explicit ARNs (the table, each named index), not Table.grant_read_data,
        # which adds Scan, DescribeTable and stream reads, and an index/* wildcard.
        role.add_to_policy(iam.PolicyStatement(actions=list(actions), resources=resources))
        role.add_to_policy(iam.PolicyStatement(
            actions=list(key_actions), resources=[table.key.key_arn],
            conditions={"StringEquals": {"kms:ViaService": f"dynamodb.{cdk.Aws.REGION}.amazonaws.com"}},
        ))
