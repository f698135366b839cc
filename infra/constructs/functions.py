"""The Lambda functions of functions/manifest.py, each wired to its event source and granted only what
the manifest declares. About 540 lines: one construct whose parts (role, log group, event source, grants)
are built per function in one pass; the grants are the part to split out next.

Event sources: a ConnectFlowSource function is associated with the Connect instance and only that
instance may invoke it; an SqsSource function consumes its queue in batches, reporting partial batch
failures, and Connect cannot invoke it; a ScheduleSource function is run by EventBridge Scheduler, one
schedule per enabled campaign, in the stack's schedule group `callcenter-<stage>` (infra/constructs/
schedules.py), and Connect cannot invoke it either; an ApiSource function is only created here (`api_backed`):
the REST API (infra/constructs/api.py) integrates it and is the only principal allowed to invoke it; a
DynamoDBStreamSource function reads its table's stream in order, reporting partial batch failures, splitting
a failing batch and retrying it a bounded number of times, then sending the failed records' coordinates to
its own KMS-encrypted on-failure queue (nothing is dropped silently; an alarm fires on its first message); a
RateSource function is run every few minutes by an EventBridge rule, without retries (the next run replaces a
failed one; its errors alarm says so). A PublicApiSource function is created here; its own API
(infra/constructs/chat.py) integrates it and throttles it at its Connect share. A
KinesisSource function reads a stream the stack passes in (`kinesis_streams`: the contact lake's CTR stream, the
Contact Lens segment stream) like
a table stream consumer: in order, partial batch failures, bounded retries, then its own on-failure queue.

Least privilege, from the manifest, every statement explicit: its own log group and X-Ray; GetItem and
Query on `tables_read` (the table and each named index), conditional PutItem/UpdateItem on
`tables_written`, each table's key only through DynamoDB; SendMessage on `queues_sent` (and their keys
through SQS); PutEvents on the domain bus only, with our event source only; `connect_actions` on the
instance's contacts (the metric APIs on the instance and its queues); SendTextMessage from the configured
origination identity only; SendEmail from the configured SES identity only; a stream consumer reads that one
table's stream (and decrypts with its key) and sends to its own on-failure queue. No managed policies.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
import jsii
from aws_cdk import aws_connect as connect
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from functions.manifest import (
    EVENT_BUS,
    FUNCTIONS,
    ApiSource,
    ConnectFlowSource,
    DynamoDBStreamSource,
    EventBusSpec,
    FunctionSpec,
    KinesisSource,
    PublicApiSource,
    RateSource,
    ScheduleSource,
    SqsSource,
)
from functions.tables import TABLES
from infra import runtime
from infra.constructs.keys import log_group_key
from infra.constructs.messaging import MessageQueue
from infra.constructs.schedules import CampaignSchedules, scheduled_campaigns
from infra.constructs.tables import ModelTable
from infra.nag import acknowledge
from infra.naming import pascal
from infra.removal import KEEP

# The runtime declared once in infra/runtime.py, which the bundler builds the asset and its bytecode for.
RUNTIME: lambda_.Runtime = getattr(lambda_.Runtime, "PYTHON_" + runtime.PYTHON_VERSION.replace(".", "_"))
ARCHITECTURE = {"arm64": lambda_.Architecture.ARM_64, "x86_64": lambda_.Architecture.X86_64}[runtime.ARCHITECTURE]
LOG_RETENTION = logs.RetentionDays.ONE_MONTH
READ_ACTIONS = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query")  # BatchGetItem: the planner
# PynamoDB's conditional save() and update(), also inside TransactWrite (authorized per item action).
WRITE_ACTIONS = ("dynamodb:PutItem", "dynamodb:UpdateItem")
READ_KEY_ACTIONS = ("kms:Decrypt",)
WRITE_KEY_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey")
SEND_KEY_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")  # SendMessage to a KMS-encrypted queue
VISIBILITY_PER_TIMEOUT = 6  # AWS: a queue's visibility timeout at least 6x its consumer's timeout
X_RAY_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
# Amazon Connect actions a function may be granted, and the resources the Service Authorization Reference
# lets a policy name for them ("contact": the instance's contacts; None: no resource-level permissions).
CONNECT_ACTION_RESOURCES: dict[str, str | None] = {
    "GetContactAttributes": "contact",
    "UpdateContactAttributes": "contact",
    "DescribeContact": "contact",
    "StopContact": "contact",
    # A task (from a task template) or a chat (on a flow) starts a contact that runs a flow: the statement names
    # the contacts, contact flows and task templates of this instance only, whichever of them the action checks.
    "StartTaskContact": "start",
    "StartChatContact": "start",
    # Streaming a chat contact's messages (SMS conversations): the contact resource type (Service Authorization
    # Reference), so the statement names this instance's contacts only.
    "StartContactStreaming": "contact",
    # The reference lists no resource type and no condition key for StartOutboundVoiceContact, so a
    # statement naming the contact, flow or queue ARNs would never match: it must be "*".
    "StartOutboundVoiceContact": None,
    # The metric APIs read the instance's queues: granted on the instance and its queues (ConnectInstance).
    "GetCurrentMetricData": "queue",
    "GetMetricDataV2": "queue",
}
# What Lambda's poller needs on a DynamoDB stream (the DynamoDB developer guide's policy for a stream consumer),
# granted on the one stream's ARN.
STREAM_READ_ACTIONS = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                       "dynamodb:ListStreams")
# A stream keeps records 24 hours: a record still failing after this long goes to the on-failure queue with
# time left to read it back from the stream (the queue message holds its shard and sequence numbers).
FAILURE_RETENTION = cdk.Duration.days(14)  # the SQS maximum: time to investigate and replay
# What Lambda's poller needs on a Kinesis data stream (the Lambda developer guide's execution role for Kinesis),
# on the one stream's ARN.
KINESIS_READ_ACTIONS = ("kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords",
                        "kinesis:GetShardIterator", "kinesis:ListShards", "kinesis:SubscribeToShard")
STARTING_POSITIONS = {"TRIM_HORIZON": lambda_.StartingPosition.TRIM_HORIZON,
                      "LATEST": lambda_.StartingPosition.LATEST}
EMAIL_ADDRESS = re.compile(r"^[^@\s*?/]+@(?P<domain>[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)$")
SMS_IDENTITY_ARN = re.compile(r"^arn:aws[a-z-]*:sms-voice:[a-z0-9-]+:\d{12}:(phone-number|pool|sender-id)/.+$")
SMS_IDENTITY_ID = re.compile(r"^(?P<kind>phone|pool)-[0-9a-f]{32}$")


def sms_identity_arn(scope: Construct, identity: str) -> str:
    """The IAM resource of an End User Messaging origination identity given as an ARN, `phone-…` or `pool-…`.

    A phone number in E.164 or a sender ID name cannot be scoped (their ARNs hold ids): refuse them rather
    than grant SendTextMessage on every identity of the account.
    """
    if SMS_IDENTITY_ARN.match(identity):
        return identity
    match = SMS_IDENTITY_ID.match(identity)
    if not match:
        raise ValueError(
            f"sms_origination_identity {identity!r} must be a phone number id (phone-…), a pool id (pool-…) or "
            "the ARN of a phone number, pool or sender ID: only those can be scoped in IAM")
    resource = "phone-number" if match["kind"] == "phone" else "pool"
    return cdk.Stack.of(scope).format_arn(service="sms-voice", resource=resource, resource_name=identity)


@dataclass(frozen=True)
class EmailIdentity:
    """Where progress e-mails come from: the From address (EMAIL_FROM_IDENTITY) and the SES identities that may
    authorize it. SES authorizes a send on the address's own identity when it is verified, else on its domain's:
    both are named, and the ses:FromAddress condition holds the policy to this one address."""

    address: str
    identity_arns: tuple[str, str]


def email_identity(scope: Construct, address: str) -> EmailIdentity:
    """The SES identities for a From address; a domain, an ARN or a wildcard is refused (the notifier sends
    with this value as FromEmailAddress, and a wildcard could send as any identity of the account)."""
    match = EMAIL_ADDRESS.match(address)
    if not match:
        raise ValueError(f"email_from_identity {address!r} must be the From address (verified in SES itself, or at a "
                         "verified domain): only that can be scoped in IAM")
    stack = cdk.Stack.of(scope)
    return EmailIdentity(address, (
        stack.format_arn(service="ses", resource="identity", resource_name=address),
        stack.format_arn(service="ses", resource="identity", resource_name=match["domain"]),
    ))


@jsii.implements(lambda_.IEventSourceDlq)
class FailureQueue:
    """An SQS queue as an event source mapping's on-failure destination; it grants nothing (Functions does)."""

    def __init__(self, queue: sqs.IQueue) -> None:
        self.queue = queue

    def bind(self, _target: lambda_.IEventSourceMapping, _handler: lambda_.IFunction) -> lambda_.DlqDestinationConfig:
        return lambda_.DlqDestinationConfig(destination=self.queue.queue_arn)


@dataclass(frozen=True)
class StreamConsumer:
    """A stream consumer's mapping (DynamoDBStreamSource, KinesisSource) and where the records it could not process
    go."""

    table: str  # the table, or the Kinesis stream, whose records it reads
    mapping: lambda_.EventSourceMapping
    key: kms.Key
    failures: sqs.Queue  # the on-failure destination: one message per failed batch (shard, sequence numbers)
    kinesis: bool = False

    @property
    def source(self) -> str:
        """What it reads, in words: "the tickets table's stream", "the contact-lens-segments Kinesis stream"."""
        return f"the {self.table} Kinesis stream" if self.kinesis else f"the {self.table} table's stream"


@dataclass(frozen=True)
class KinesisInput:
    """A Kinesis data stream the stack created for a KinesisSource function, and the key it is encrypted with."""

    stream: kinesis.IStream
    key: kms.IKey


@dataclass(frozen=True)
class ConnectInstance:
    arn: str
    account: str  # the instance's account, for the invoke permission's SourceAccount
    queue_arns: tuple[str, ...] = ()  # the stack's queues: what the metric APIs may read


class Functions(Construct):
    """Every manifest function: code from the local bundle, the declared runtime, traced, logged, scoped."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        asset_dir: Path,
        tables: Mapping[str, ModelTable],
        queues: Mapping[str, MessageQueue],
        event_bus: events.IEventBus,
        wired_environment: Mapping[str, str],
        instance: ConnectInstance,
        sms_identity: str | None = None,
        email_from: str | None = None,
        reserved_concurrency: Mapping[str, int] | None = None,
        specs: Mapping[str, FunctionSpec] = FUNCTIONS,
        bus_spec: EventBusSpec = EVENT_BUS,
        kinesis_streams: Mapping[str, KinesisInput] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.stage = stage
        self.code = lambda_.Code.from_asset(str(asset_dir))
        self.log_key = self._log_key()
        self.specs = dict(specs)
        self.instance = instance
        self.tables = tables
        self.queues = queues
        self.event_bus = event_bus
        self.bus_spec = bus_spec
        self.kinesis_streams = dict(kinesis_streams or {})
        self.sms_identity_arn = sms_identity_arn(self, sms_identity) if sms_identity else None
        self.email_identity = email_identity(self, email_from) if email_from else None
        self.reserved_concurrency = dict(reserved_concurrency or {})
        unknown = sorted(set(self.reserved_concurrency) - set(specs))
        if unknown:
            raise ValueError(f"reserved concurrency for unknown functions {', '.join(unknown)}")
        self.by_name: dict[str, lambda_.Function] = {}
        self.associations: dict[str, connect.CfnIntegrationAssociation] = {}
        self.schedules: dict[str, CampaignSchedules] = {}
        self.stream_consumers: dict[str, StreamConsumer] = {}
        self.rules: dict[str, events.Rule] = {}  # RateSource functions' schedules
        self._schedule_group: scheduler.ScheduleGroup | None = None
        self._wired: dict[str, set[str]] = {}
        for name, spec in specs.items():
            unknown = sorted(set(spec.tables_read + spec.tables_written) - set(tables))
            if unknown:
                raise ValueError(f"function {name!r} uses unknown tables {', '.join(unknown)}")
            unknown = sorted(set(spec.queues_sent) - set(queues))
            if unknown:
                raise ValueError(f"function {name!r} sends to unknown queues {', '.join(unknown)}")
            function = self._function(spec)
            self.by_name[name] = function
            self._wired[name] = set()
            if isinstance(spec.source, SqsSource):
                self._consume(function, spec, spec.source)
            elif isinstance(spec.source, ConnectFlowSource):
                self._invoked_by_connect(function, name)
            elif isinstance(spec.source, ScheduleSource):
                self._scheduled(function, name, spec.source)
            elif isinstance(spec.source, DynamoDBStreamSource):
                self._consume_stream(function, spec, spec.source)
            elif isinstance(spec.source, ApiSource | PublicApiSource):
                pass  # the API construct integrates it and grants API Gateway (that API only) the invoke
            elif isinstance(spec.source, KinesisSource):
                self._consume_kinesis(function, spec, spec.source)
            elif isinstance(spec.source, RateSource):
                self._every(function, name, spec.source)
            else:
                raise ValueError(f"function {name!r}: unsupported event source {spec.source!r}")
        self.wire(wired_environment)

    @property
    def connect_invoked(self) -> dict[str, lambda_.Function]:
        """The functions contact flows invoke ({{lambda:NAME}})."""
        return {name: fn for name, fn in self.by_name.items()
                if isinstance(self.specs[name].source, ConnectFlowSource)}

    @property
    def api_backed(self) -> dict[str, lambda_.Function]:
        """The functions a REST API invokes (ApiSource), for infra/constructs/api.py."""
        return {name: fn for name, fn in self.by_name.items() if isinstance(self.specs[name].source, ApiSource)}

    @property
    def event_publishers(self) -> dict[str, iam.IRole]:
        """The roles of the functions that publish on the domain bus (publishes_events): its only publishers."""
        roles = {name: fn.role for name, fn in self.by_name.items() if self.specs[name].publishes_events}
        return {name: role for name, role in roles.items() if role is not None}

    def wire(self, values: Mapping[str, str]) -> None:
        """Set deployment-supplied variables on every function that declares them (`wired_environment`).

        Some values exist only after other constructs (SURVEY_FLOW_ID after the flows, which need the
        functions' ARNs): wire them later, then call `require_wired()`.
        """
        for name, spec in self.specs.items():
            for variable in spec.wired_environment:
                if variable in values and variable not in self._wired[name]:
                    self.by_name[name].add_environment(variable, values[variable])
                    self._wired[name].add(variable)

    def require_wired(self) -> None:
        missing = [f"{name}: {', '.join(sorted(set(spec.wired_environment) - self._wired[name]))}"
                   for name, spec in self.specs.items() if set(spec.wired_environment) - self._wired[name]]
        if missing:
            raise ValueError("functions need environment variables the stack does not wire: " + "; ".join(missing))

    def _invoked_by_connect(self, function: lambda_.Function, name: str) -> None:
        function.add_permission(
            "ConnectInvoke",
            principal=iam.ServicePrincipal("connect.amazonaws.com"),
            source_arn=self.instance.arn,
            source_account=self.instance.account,
        )
        self.associations[name] = connect.CfnIntegrationAssociation(
            self, f"{pascal(name)}Association",
            instance_id=self.instance.arn,
            integration_type="LAMBDA_FUNCTION",
            integration_arn=function.function_arn,
        )

    def _scheduled(self, function: lambda_.Function, name: str, source: ScheduleSource) -> None:
        if self._schedule_group is None:
            # Schedule names are unique per group: one group per stage keeps stages apart in an account.
            # Its schedules are all defined here, so the group goes with the stack (a retained, named group
            # would make the next deployment of the stage fail on its name).
            self._schedule_group = scheduler.ScheduleGroup(
                self, "ScheduleGroup", schedule_group_name=f"callcenter-{self.stage}",
                removal_policy=cdk.RemovalPolicy.DESTROY)
        self.schedules[name] = CampaignSchedules(
            self, f"{pascal(name)}Schedules",
            function_name=name,
            function=function,
            campaigns=scheduled_campaigns(source),
            group=self._schedule_group,
        )

    def _consume(self, function: lambda_.Function, spec: FunctionSpec, source: SqsSource) -> None:
        if source.queue not in self.queues:
            raise ValueError(f"function {spec.name!r} consumes unknown queue {source.queue!r}")
        queue = self.queues[source.queue]
        visibility = queue.spec.visibility_timeout_seconds
        if visibility < VISIBILITY_PER_TIMEOUT * spec.timeout_seconds:
            raise ValueError(
                f"queue {source.queue!r}: visibility timeout {visibility} s is below {VISIBILITY_PER_TIMEOUT}x the "
                f"{spec.timeout_seconds} s timeout of its consumer {spec.name!r}; a batch still running would be "
                "delivered again")
        if source.batch_size > 10 and source.max_batching_window_seconds == 0:
            raise ValueError(f"function {spec.name!r}: a batch size above 10 needs a batching window")
        # grantConsumeMessages (inside) allows Receive/Delete/ChangeVisibility/GetAttributes on this queue
        # and kms:Decrypt on its key, nothing else. maximum_concurrency caps the instances the mapping runs at
        # once (a Connect caller's pace is its share over this number: functions/common/pacing.py); messages
        # beyond it wait on the queue instead of being received and throttled.
        function.add_event_source(event_sources.SqsEventSource(
            queue.queue,
            batch_size=source.batch_size,
            max_batching_window=(cdk.Duration.seconds(source.max_batching_window_seconds)
                                 if source.max_batching_window_seconds else None),
            max_concurrency=source.maximum_concurrency,
            report_batch_item_failures=True,
        ))

    def _failure_queue(self, function: lambda_.Function, spec: FunctionSpec, what: str) -> tuple[Construct, kms.Key,
                                                                                                sqs.Queue]:
        """The on-failure destination of a stream mapping (its own key and queue), and the grant to send to it."""
        scope = Construct(self, f"{pascal(spec.name)}StreamFailures")
        key = kms.Key(scope, "Key", description=f"Encrypts the stream records {spec.name} could not process",
                      enable_key_rotation=True, removal_policy=KEEP)
        failures = sqs.Queue(scope, "Queue", encryption=sqs.QueueEncryption.KMS, encryption_master_key=key,
                             enforce_ssl=True, retention_period=FAILURE_RETENTION)
        acknowledge(failures, "SQS3",
                    f"This queue is the on-failure destination of {spec.name}'s {what} mapping (not an SQS redrive): "
                    "it is itself the dead-letter queue; an alarm fires on its first message.")
        function.add_to_role_policy(iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[failures.queue_arn]))
        function.add_to_role_policy(iam.PolicyStatement(
            actions=list(SEND_KEY_ACTIONS), resources=[key.key_arn],
            conditions={"StringEquals": {"kms:ViaService": f"sqs.{cdk.Aws.REGION}.amazonaws.com"}},
        ))
        return scope, key, failures

    def _consume_kinesis(self, function: lambda_.Function, spec: FunctionSpec, source: KinesisSource) -> None:
        """Kinesis in order per partition key (the contact), partial batch failures, bisect on error, bounded retries
        and record age, then the on-failure queue. Explicit grants on the one stream and its key (KinesisEventSource
        would also grant kinesis:ListStreams on "*")."""
        stream = self.kinesis_streams.get(source.stream)
        if stream is None:
            raise ValueError(f"function {spec.name!r} consumes Kinesis stream {source.stream!r}, which the stack did "
                             "not pass to Functions (kinesis_streams)")
        if source.starting_position not in STARTING_POSITIONS:
            raise ValueError(f"function {spec.name!r}: starting position {source.starting_position!r} is not one of "
                             f"{', '.join(STARTING_POSITIONS)}")
        scope, key, failures = self._failure_queue(function, spec, "Kinesis")
        function.add_to_role_policy(iam.PolicyStatement(actions=list(KINESIS_READ_ACTIONS),
                                                        resources=[stream.stream.stream_arn]))
        function.add_to_role_policy(iam.PolicyStatement(
            actions=list(READ_KEY_ACTIONS), resources=[stream.key.key_arn],
            conditions={"StringEquals": {"kms:ViaService": f"kinesis.{cdk.Aws.REGION}.amazonaws.com"}},
        ))
        mapping = lambda_.EventSourceMapping(
            scope, "Mapping",
            target=function,
            event_source_arn=stream.stream.stream_arn,
            starting_position=STARTING_POSITIONS[source.starting_position],
            batch_size=source.batch_size,
            bisect_batch_on_error=True,
            retry_attempts=source.max_retries,
            max_record_age=cdk.Duration.seconds(source.max_record_age_seconds),
            parallelization_factor=source.parallelization_factor,
            report_batch_item_failures=True,
            on_failure=FailureQueue(failures),
        )
        self.stream_consumers[spec.name] = StreamConsumer(source.stream, mapping, key, failures, kinesis=True)

    def _consume_stream(self, function: lambda_.Function, spec: FunctionSpec, source: DynamoDBStreamSource) -> None:
        if source.table not in self.tables:
            raise ValueError(f"function {spec.name!r} consumes the stream of unknown table {source.table!r}")
        if source.starting_position not in STARTING_POSITIONS:
            raise ValueError(f"function {spec.name!r}: starting position {source.starting_position!r} is not one of "
                             f"{', '.join(STARTING_POSITIONS)}")
        table = self.tables[source.table]
        stream_arn = table.stream_arn  # raises if the table's model declares no stream
        scope, key, failures = self._failure_queue(function, spec, "stream")
        # Explicit grants (not DynamoEventSource, which grants ListStreams on "*", and SqsDlq, which grants
        # kms:ReEncrypt*/GenerateDataKey* on the queue key): the one stream, its table key, the one queue.
        function.add_to_role_policy(iam.PolicyStatement(actions=list(STREAM_READ_ACTIONS), resources=[stream_arn]))
        function.add_to_role_policy(iam.PolicyStatement(
            actions=list(READ_KEY_ACTIONS), resources=[table.key.key_arn],
            conditions={"StringEquals": {"kms:ViaService": f"dynamodb.{cdk.Aws.REGION}.amazonaws.com"}},
        ))
        # Records of one shard are processed in order (parallelization 1): a ticket's status changes are
        # announced in the order they happened.
        mapping = lambda_.EventSourceMapping(
            scope, "Mapping",
            target=function,
            event_source_arn=stream_arn,
            starting_position=STARTING_POSITIONS[source.starting_position],
            batch_size=source.batch_size,
            bisect_batch_on_error=True,
            retry_attempts=source.max_retries,
            max_record_age=cdk.Duration.seconds(source.max_record_age_seconds),
            report_batch_item_failures=True,
            on_failure=FailureQueue(failures),
        )
        self.stream_consumers[spec.name] = StreamConsumer(source.table, mapping, key, failures)

    def _every(self, function: lambda_.Function, name: str, source: RateSource) -> None:
        """An EventBridge rule runs the function every `source.minutes`; a failed or late run is not retried:
        the next one replaces it (its errors alarm says it failed)."""
        late = cdk.Duration.seconds(60 * source.minutes)
        function.configure_async_invoke(retry_attempts=0, max_event_age=late)
        self.rules[name] = events.Rule(
            self, f"{pascal(name)}Every{source.minutes}Minutes",
            description=f"Runs {name} every {source.minutes} minute(s)",
            schedule=events.Schedule.rate(cdk.Duration.minutes(source.minutes)),
            targets=[targets.LambdaFunction(function, retry_attempts=0, max_event_age=late)],
        )

    def _log_key(self) -> kms.Key:
        return log_group_key(self, "LogKey", "Encrypts the Lambda functions' log groups")

    def _function(self, spec: FunctionSpec) -> lambda_.Function:
        scope = Construct(self, pascal(spec.name))
        log_group = logs.LogGroup(scope, "Logs", retention=LOG_RETENTION, encryption_key=self.log_key,
                                  removal_policy=KEEP)
        role = iam.Role(scope, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                        description=f"Runs the {spec.name} function")
        # No AWSLambdaBasicExecutionRole: write access to this function's own log group only.
        role.add_to_policy(iam.PolicyStatement(
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[log_group.log_group_arn],
        ))
        environment = dict(spec.environment)
        for table_name in dict.fromkeys(spec.tables_read + spec.tables_written):
            environment[TABLES[table_name].env_var] = self.tables[table_name].table.table_name
        for queue_name in spec.queues_sent:
            queue = self.queues[queue_name]
            environment[queue.spec.env_var] = queue.queue.queue_url
        if spec.publishes_events:
            environment[self.bus_spec.env_var] = self.event_bus.event_bus_name
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
            # Off unless the stack's context asks (routing_reserved_concurrency): a reservation is taken from the
            # account's concurrency quota, which a new account may not have room for.
            reserved_concurrent_executions=self.reserved_concurrency.get(spec.name),
        )
        acknowledge(function, "L1", runtime.WHY_NOT_THE_LATEST)
        # lambda.Function depends on its role construct, so the template says DependsOn the role (besides
        # its policy) although Role: GetAtt already orders them; cfn-lint flags that redundancy (W3005).
        function.node.default_child.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3005"]}})
        for table_name in spec.tables_read:
            table = self.tables[table_name]
            self._grant_table(role, table, READ_ACTIONS, [table.table.table_arn, *table.index_arns], READ_KEY_ACTIONS)
        for table_name in spec.tables_written:
            table = self.tables[table_name]
            self._grant_table(role, table, WRITE_ACTIONS, [table.table.table_arn], WRITE_KEY_ACTIONS)
        for queue_name in spec.queues_sent:
            self._grant_send(role, self.queues[queue_name])
        if spec.publishes_events:
            role.add_to_policy(iam.PolicyStatement(
                actions=["events:PutEvents"],
                resources=[self.event_bus.event_bus_arn],
                conditions={"StringEquals": {"events:source": self.bus_spec.source}},
            ))
        wildcard_reasons = [
            "Active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no "
            "resource-level permissions."]
        wildcard_reasons += self._grant_connect(role, spec)
        if spec.sends_sms:
            self._grant_sms(role)
        if spec.sends_email:
            self._grant_email(role)
        acknowledge(role, "IAM5[Resource::*]",
                    " ".join(wildcard_reasons) + " These are the only wildcard resources in the role.")
        return function

    def _grant_connect(self, role: iam.Role, spec: FunctionSpec) -> list[str]:
        """connect:<Action> statements; returns the reasons for any "*" resource they need."""
        unknown = sorted(set(spec.connect_actions) - set(CONNECT_ACTION_RESOURCES))
        if unknown:
            raise ValueError(f"function {spec.name!r}: no known resource scope for connect:{', connect:'.join(unknown)}"
                             " (add it to CONNECT_ACTION_RESOURCES from the Service Authorization Reference)")
        on_contacts = sorted(a for a in spec.connect_actions if CONNECT_ACTION_RESOURCES[a] == "contact")
        on_queues = sorted(a for a in spec.connect_actions if CONNECT_ACTION_RESOURCES[a] == "queue")
        if on_queues:
            if not self.instance.queue_arns:
                raise ValueError(f"function {spec.name!r}: connect:{', connect:'.join(on_queues)} need the "
                                 "instance's queue ARNs (ConnectInstance.queue_arns)")
            # The instance and its queues by ARN, nothing else: no wildcard.
            role.add_to_policy(iam.PolicyStatement(
                actions=[f"connect:{action}" for action in on_queues],
                resources=[self.instance.arn, *self.instance.queue_arns]))
        on_tasks = sorted(a for a in spec.connect_actions if CONNECT_ACTION_RESOURCES[a] == "start")
        if on_tasks:
            task_resources = [f"{self.instance.arn}/{kind}/*" for kind in ("contact", "contact-flow", "task-template")]
            role.add_to_policy(iam.PolicyStatement(
                actions=[f"connect:{action}" for action in on_tasks], resources=task_resources))
            for resource in task_resources:
                acknowledge(role, f"IAM5[Resource::{nag_rendering(self, resource)}]",
                            f"connect:{', connect:'.join(on_tasks)} creates contacts (which exist only at run time) "
                            "that run this stack's flows (a task from its task template): every contact, flow and task "
                            "template of this stack's Connect instance, and nothing else.")
        unscoped = sorted(a for a in spec.connect_actions if CONNECT_ACTION_RESOURCES[a] is None)
        if on_contacts:
            contacts = f"{self.instance.arn}/contact/*"
            role.add_to_policy(iam.PolicyStatement(
                actions=[f"connect:{action}" for action in on_contacts], resources=[contacts]))
            acknowledge(role, f"IAM5[Resource::{nag_rendering(self, contacts)}]",
                        f"connect:{', connect:'.join(on_contacts)} act on contacts, which exist only at run time: "
                        "the resource is every contact of this stack's Connect instance and nothing else.")
        if unscoped:
            role.add_to_policy(iam.PolicyStatement(
                actions=[f"connect:{action}" for action in unscoped], resources=["*"]))
            return [f"connect:{', connect:'.join(unscoped)} supports no resource-level permissions or condition "
                    "keys (Service Authorization Reference, Amazon Connect): a statement naming the instance, flow "
                    "or queue would never match; the call names this stack's instance and one of its flows and "
                    "queues."]
        return []

    def _grant_sms(self, role: iam.Role) -> None:
        # SMS is off unless the sms_origination_identity context names an identity: then no SMS permission
        # at all, so a misconfigured function cannot text from some other number of the account.
        if self.sms_identity_arn:
            role.add_to_policy(iam.PolicyStatement(
                actions=["sms-voice:SendTextMessage"], resources=[self.sms_identity_arn]))

    def _grant_email(self, role: iam.Role) -> None:
        # E-mail is off unless the email_from_identity context names a From address: then no SES permission at
        # all. SES v2 SendEmail is authorized on the identity it sends as (and on a configuration set, which
        # these functions do not use).
        if self.email_identity:
            role.add_to_policy(iam.PolicyStatement(
                actions=["ses:SendEmail"], resources=list(self.email_identity.identity_arns),
                conditions={"StringEquals": {"ses:FromAddress": self.email_identity.address}}))

    @staticmethod
    def _grant_send(role: iam.Role, queue: MessageQueue) -> None:
        role.add_to_policy(iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[queue.queue.queue_arn]))
        role.add_to_policy(iam.PolicyStatement(
            actions=list(SEND_KEY_ACTIONS), resources=[queue.key.key_arn],
            conditions={"StringEquals": {"kms:ViaService": f"sqs.{cdk.Aws.REGION}.amazonaws.com"}},
        ))

    @staticmethod
    def _grant_table(role: iam.Role, table: ModelTable, actions: tuple[str, ...], resources: list[str],
                     key_actions: tuple[str, ...]) -> None:
        # Explicit actions on explicit ARNs (the table, each named index), not Table.grant_read_data,
        # which adds Scan, DescribeTable and stream reads, and an index/* wildcard.
        role.add_to_policy(iam.PolicyStatement(actions=list(actions), resources=resources))
        role.add_to_policy(iam.PolicyStatement(
            actions=list(key_actions), resources=[table.key.key_arn],
            conditions={"StringEquals": {"kms:ViaService": f"dynamodb.{cdk.Aws.REGION}.amazonaws.com"}},
        ))


def nag_rendering(scope: Construct, value: str) -> str:
    """How cdk-nag writes a policy resource in a finding id: each intrinsic as <LogicalId.Attribute>."""
    def render(part: object) -> str:
        if isinstance(part, str):
            return part
        if isinstance(part, dict) and "Fn::Join" in part:
            separator, parts = part["Fn::Join"]
            return separator.join(render(p) for p in parts)
        if isinstance(part, dict) and "Fn::GetAtt" in part:
            return f"<{part['Fn::GetAtt'][0]}.{part['Fn::GetAtt'][1]}>"
        if isinstance(part, dict) and "Ref" in part:
            return f"<{part['Ref']}>"
        raise ValueError(f"cannot render {part!r} for a cdk-nag finding id")
    return render(cdk.Stack.of(scope).resolve(value))
