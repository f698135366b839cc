"""The Lambda functions run as the manifest says, are invoked only by their event source, and their roles
allow exactly what the manifest declares."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from flowlang.flow import Placeholder, flow_files, load_flow
from flowlang.language import static_int
from functions.manifest import (
    EVENT_BUS,
    FUNCTIONS,
    QUEUES,
    ApiSource,
    ConnectFlowSource,
    DynamoDBStreamSource,
    FunctionSpec,
    KinesisSource,
    ScheduleSource,
    SqsSource,
)
from functions.routing.policy import load_policy
from functions.storage.schema import table_schema
from functions.tables import TABLES
from infra import runtime
from infra.constructs.functions import CONNECT_ACTION_RESOURCES
from infra.naming import pascal
from tests.infra.conftest import STAGE, Synthesized, as_list, render, role_statements, synthesize

pytestmark = pytest.mark.infra
SPECS = list(FUNCTIONS.values())
FLOW_SPECS = [spec for spec in SPECS if isinstance(spec.source, ConnectFlowSource)]
QUEUE_SPECS = [spec for spec in SPECS if isinstance(spec.source, SqsSource)]
STREAM_SPECS = [spec for spec in SPECS if isinstance(spec.source, DynamoDBStreamSource)]
API_SPECS = [spec for spec in SPECS if isinstance(spec.source, ApiSource)]
STREAM_READ = {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"}
READ_ONLY = {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"}
WRITES = {"dynamodb:PutItem", "dynamodb:UpdateItem"}
CONSUME = {"sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueUrl", "sqs:DeleteMessage",
           "sqs:GetQueueAttributes"}
X_RAY = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
SECRET_READ = {"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}
KINESIS_READ = {"kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords",
                "kinesis:GetShardIterator", "kinesis:ListShards", "kinesis:SubscribeToShard"}
ALERTS_TOPIC = "SUPERVISOR_ALERTS_TOPIC_ARN"
#: A Kinesis source's stream and the key it is encrypted with, by the manifest's stream name.
KINESIS_STREAMS = {"contact-records": ("ContactLake/Stream", "ContactLake/Key"),
                   "contact-lens-segments": ("LiveSentiment/SegmentStream", "LiveSentiment/Key")}
DISPATCHER = FUNCTIONS["survey-dispatcher"]
ANSWERS = FUNCTIONS["survey-answers"]
SENDER = FUNCTIONS["outreach-sender"]


def _function(synthesized: Synthesized, spec: FunctionSpec) -> tuple[str, dict[str, Any]]:
    logical_id = synthesized.logical_id(f"Functions/{pascal(spec.name)}/Function")
    return logical_id, synthesized.resources[logical_id]["Properties"]


def _statements(synthesized: Synthesized, spec: FunctionSpec, prefix: str) -> list[dict[str, Any]]:
    """The role's statements whose actions are all of one service (`prefix`, e.g. "sqs")."""
    found = []
    for statement in role_statements(synthesized, _function(synthesized, spec)[1]):
        services = {action.split(":")[0] for action in as_list(statement["Action"])}
        if prefix in services:
            assert services == {prefix}, f"statement mixes services: {statement}"
            found.append(statement)
    return found


def _resources(statement: dict[str, Any]) -> set[str]:
    return {render(resource) for resource in as_list(statement["Resource"])}


def _queue_id(synthesized: Synthesized, queue: str, part: str = "Queue") -> str:
    return synthesized.logical_id(f"Messaging/{pascal(queue)}/{part}")


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_function_runs_as_the_manifest_says(synthesized: Synthesized, spec: FunctionSpec) -> None:
    _, function = _function(synthesized, spec)
    assert function["Runtime"] == runtime.RUNTIME_NAME  # the one declaration the asset's bytecode is built for
    assert function["Architectures"] == [runtime.ARCHITECTURE]
    assert function["Handler"] == spec.handler
    assert function["Timeout"] == spec.timeout_seconds
    assert function["MemorySize"] == spec.memory_mb
    assert function["TracingConfig"] == {"Mode": "Active"}
    log_group = synthesized.resources[function["LoggingConfig"]["LogGroup"]["Ref"]]["Properties"]
    assert log_group["RetentionInDays"] > 0
    assert "KmsKeyId" in log_group


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_function_environment_is_static_plus_resources_plus_wired(synthesized: Synthesized,
                                                                 spec: FunctionSpec) -> None:
    _, function = _function(synthesized, spec)
    environment = function["Environment"]["Variables"]
    assert {k: environment[k] for k in spec.environment} == spec.environment
    expected = set(spec.environment) | set(spec.wired_environment)
    for table_name in spec.tables_read + spec.tables_written:
        table_id = synthesized.logical_id(f"Tables/{pascal(table_name)}/Table")
        assert environment[TABLES[table_name].env_var] == {"Ref": table_id}
        expected.add(TABLES[table_name].env_var)
    for queue in spec.queues_sent:
        assert environment[QUEUES[queue].env_var] == {"Ref": _queue_id(synthesized, queue)}  # the queue URL
        expected.add(QUEUES[queue].env_var)
    if spec.publishes_events:
        assert environment[EVENT_BUS.env_var] == {"Ref": synthesized.logical_id("Messaging/EventBus")}
        expected.add(EVENT_BUS.env_var)
    # And nothing else: a function sees only what the manifest gives it
    assert set(environment) == expected


def test_queue_arns_maps_every_policy_queue_to_its_deployed_queue(synthesized: Synthesized) -> None:
    # Given the routing function's QUEUE_ARNS, with each deployed ARN rendered as <LogicalId.Attribute>
    _, function = _function(synthesized, FUNCTIONS["routing"])
    queue_arns = json.loads(render(function["Environment"]["Variables"]["QUEUE_ARNS"]))
    # Then every policy queue is there and points at the Connect queue of that name
    assert set(queue_arns) == set(load_policy().queues)
    for name, arn in queue_arns.items():
        logical_id, attribute = arn.strip("<>").split(".")
        queue = synthesized.resources[logical_id]
        assert (queue["Type"], attribute) == ("AWS::Connect::Queue", "QueueArn")
        assert queue["Properties"]["Name"] == name


def test_outreach_sender_is_wired_to_the_instance_the_outreach_flow_and_the_default_queue(
    synthesized: Synthesized,
) -> None:
    _, function = _function(synthesized, SENDER)
    environment = function["Environment"]["Variables"]
    instance = synthesized.logical_id("ContactCenter/Instance")
    flow = synthesized.logical_id("Flows/Outreach")
    default_queue = synthesized.logical_id(f"ContactCenter/Queue{pascal(load_policy().default_queue)}")
    assert render(environment["CONNECT_INSTANCE_ID"]) == f"<<{instance}.Arn> split / [1]>"
    assert render(environment["OUTREACH_FLOW_ID"]) == f"<<{flow}.ContactFlowArn> split / [3]>"
    assert environment["OUTREACH_CALLER_QUEUE_ARN"] == {"Fn::GetAtt": [default_queue, "QueueArn"]}
    assert environment["SMS_ORIGINATION_IDENTITY"] == ""


def test_dispatcher_is_wired_to_the_instance_the_survey_flow_and_the_default_queue(
    synthesized: Synthesized,
) -> None:
    _, function = _function(synthesized, DISPATCHER)
    environment = function["Environment"]["Variables"]
    instance = synthesized.logical_id("ContactCenter/Instance")
    flow = synthesized.logical_id("Flows/Survey")
    default_queue = synthesized.logical_id(f"ContactCenter/Queue{pascal(load_policy().default_queue)}")
    # The ids are the last part of the ARNs: .../instance/<id> and .../instance/<id>/contact-flow/<id>
    assert render(environment["CONNECT_INSTANCE_ID"]) == f"<<{instance}.Arn> split / [1]>"
    assert render(environment["SURVEY_FLOW_ID"]) == f"<<{flow}.ContactFlowArn> split / [3]>"
    assert environment["SURVEY_QUEUE_ARN"] == {"Fn::GetAtt": [default_queue, "QueueArn"]}
    assert environment["SMS_ORIGINATION_IDENTITY"] == ""  # SMS surveys off unless configured


@pytest.mark.parametrize("spec", FLOW_SPECS, ids=lambda spec: spec.name)
def test_function_timeout_is_below_every_flow_invocation_limit(spec: FunctionSpec) -> None:
    placeholder = str(Placeholder("lambda", spec.name))
    limits = [
        static_int(action["Parameters"]["InvocationTimeLimitSeconds"])
        for path in flow_files().values()
        for action in load_flow(path)["Actions"]
        if action["Type"] == "InvokeLambdaFunction" and action["Parameters"].get("LambdaFunctionARN") == placeholder
    ]
    assert limits, f"no flow invokes {placeholder}"
    assert all(limit is not None and spec.timeout_seconds < limit for limit in limits), limits


# --- least privilege -------------------------------------------------------------------------------

def _table_resources(synthesized: Synthesized, table_names: tuple[str, ...]) -> set[str]:
    """The rendered ARNs of the tables and of each of their named indexes."""
    resources = set()
    for name in table_names:
        table_id = synthesized.logical_id(f"Tables/{pascal(name)}/Table")
        resources.add(f"<{table_id}.Arn>")
        resources |= {f"<{table_id}.Arn>/index/{index.name}"
                      for index in table_schema(TABLES[name].model).global_indexes}
    return resources


def _allowed_keys(synthesized: Synthesized, spec: FunctionSpec) -> set[str]:
    tables = spec.tables_read + spec.tables_written
    keys = {f"<{synthesized.logical_id(f'Tables/{pascal(t)}/Key')}.Arn>" for t in tables}
    queues = set(spec.queues_sent)
    if isinstance(spec.source, SqsSource):
        queues.add(spec.source.queue)
    if isinstance(spec.source, ScheduleSource):
        # Its failed runs go to its schedules' dead-letter queue (Lambda's on-failure destination)
        keys.add(f"<{synthesized.logical_id(f'Functions/{pascal(spec.name)}Schedules/Key')}.Arn>")
    if isinstance(spec.source, DynamoDBStreamSource):
        # It reads its table's stream (decrypting with the table's key) and sends failures to its own queue
        keys.add(f"<{synthesized.logical_id(f'Tables/{pascal(spec.source.table)}/Key')}.Arn>")
        keys.add(f"<{synthesized.logical_id(f'Functions/{pascal(spec.name)}StreamFailures/Key')}.Arn>")
    if isinstance(spec.source, KinesisSource):
        # Its stream's key and its own on-failure queue's
        keys.add(f"<{synthesized.logical_id(KINESIS_STREAMS[spec.source.stream][1])}.Arn>")
        keys.add(f"<{synthesized.logical_id(f'Functions/{pascal(spec.name)}StreamFailures/Key')}.Arn>")
    if "CHAT_IDENTITY_SECRET_ARN" in spec.wired_environment:
        keys.add(f"<{synthesized.logical_id('ChatSecret/Key')}.Arn>")
    if ALERTS_TOPIC in spec.wired_environment:  # the supervisors' topic is encrypted with live sentiment's key
        keys.add(f"<{synthesized.logical_id('LiveSentiment/Key')}.Arn>")
    return keys | {f"<{synthesized.logical_id(f'Messaging/{pascal(q)}/Key')}.Arn>" for q in queues}


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_function_role_allows_only_what_the_manifest_grants(synthesized: Synthesized, spec: FunctionSpec) -> None:
    # Given the function's role policies and what the manifest lets it use
    _, function = _function(synthesized, spec)
    readable = _table_resources(synthesized, spec.tables_read)
    writable = _table_resources(synthesized, spec.tables_written)
    streams = ({f"<{synthesized.logical_id(f'Tables/{pascal(spec.source.table)}/Table')}.StreamArn>"}
               if isinstance(spec.source, DynamoDBStreamSource) else set())
    sendable = {f"<{_queue_id(synthesized, q)}.Arn>" for q in spec.queues_sent}
    if isinstance(spec.source, DynamoDBStreamSource | KinesisSource):
        sendable.add(f"<{synthesized.logical_id(f'Functions/{pascal(spec.name)}StreamFailures/Queue')}.Arn>")
    kinesis = ({f"<{synthesized.logical_id(KINESIS_STREAMS[spec.source.stream][0])}.Arn>"}
               if isinstance(spec.source, KinesisSource) else set())
    secret = f"<{synthesized.logical_id('ChatSecret/Secret')}>"
    topic = synthesized.logical_id("LiveSentiment/SupervisorAlerts")
    if isinstance(spec.source, ScheduleSource):
        sendable.add(f"<{synthesized.logical_id(f'Functions/{pascal(spec.name)}Schedules/DeadLetterQueue')}.Arn>")
    log_group = f"<{function['LoggingConfig']['LogGroup']['Ref']}.Arn>"
    for statement in role_statements(synthesized, function):
        assert statement["Effect"] == "Allow"
        actions = set(as_list(statement["Action"]))
        resources = _resources(statement)
        services = {action.split(":")[0] for action in actions}
        assert len(services) == 1, statement
        service = services.pop()
        # Then each service is used only as declared, on declared resources
        if service == "logs":
            assert resources == {log_group}
        elif service == "xray":
            assert actions <= X_RAY and resources == {"*"}
        elif service == "dynamodb" and resources <= streams:
            assert actions <= STREAM_READ, statement  # its own table's stream, read only
        elif service == "dynamodb":
            for resource in resources:
                assert resource in readable or resource in writable, f"{actions} on undeclared {resource}"
                assert actions <= (WRITES if resource in writable and actions & WRITES else READ_ONLY), statement
        elif service == "kms":
            assert resources <= _allowed_keys(synthesized, spec), statement
        elif service == "sqs":
            assert actions in ({"sqs:SendMessage"}, CONSUME), statement
            if actions == {"sqs:SendMessage"}:
                assert resources <= sendable, statement
        elif service == "events":
            assert spec.publishes_events, statement
        elif service == "connect":
            assert {a.removeprefix("connect:") for a in actions} <= set(spec.connect_actions), statement
        elif service == "kinesis":
            assert resources and resources <= kinesis and actions <= KINESIS_READ, statement  # its stream, read
        elif service == "sns":  # live sentiment's consumers publish to the supervisors' topic, and nothing else
            assert ALERTS_TOPIC in spec.wired_environment and actions == {"sns:Publish"}, statement
            assert statement["Resource"] == {"Ref": topic}, statement
        elif service == "sms-voice":
            assert spec.sends_sms, statement
        elif service == "ses":
            assert spec.sends_email and actions == {"ses:SendEmail"}, statement
        elif service == "secretsmanager":
            # The chat-identity secret, read only, by the functions the manifest wires it to
            assert "CHAT_IDENTITY_SECRET_ARN" in spec.wired_environment, statement
            assert resources == {secret} and actions <= SECRET_READ, statement
        else:
            raise AssertionError(f"{spec.name} may not use {service}: {statement}")
        # And only X-Ray and the Connect actions without resource-level permissions have a wildcard resource
        if "*" in resources:
            unscoped = {f"connect:{a}" for a, scope in CONNECT_ACTION_RESOURCES.items() if scope is None}
            assert actions <= X_RAY | unscoped, statement


def test_routing_role_reads_the_profiles_table_and_its_phone_index(synthesized: Synthesized) -> None:
    dynamodb = _statements(synthesized, FUNCTIONS["routing"], "dynamodb")
    table_id = synthesized.logical_id("Tables/Profiles/Table")
    assert len(dynamodb) == 1
    assert set(as_list(dynamodb[0]["Action"])) == READ_ONLY
    # The table and its indexes (a read grant covers each named index; the caller lookup uses by_phone)
    assert _resources(dynamodb[0]) == _table_resources(synthesized, ("profiles",))
    assert f"<{table_id}.Arn>/index/by_phone" in _resources(dynamodb[0])


def test_the_notifier_may_read_the_tickets_table_it_checks_events_against(synthesized: Synthesized) -> None:
    tickets = f"<{synthesized.logical_id('Tables/Tickets/Table')}.Arn>"
    readers = [s for s in _statements(synthesized, FUNCTIONS["ticket-notifier"], "dynamodb")
               if tickets in _resources(s)]
    assert len(readers) == 1 and "dynamodb:GetItem" in set(as_list(readers[0]["Action"]))
    assert not set(as_list(readers[0]["Action"])) - READ_ONLY  # read only


def test_dispatcher_reads_surveys_by_customer_and_writes_them_conditionally_only(synthesized: Synthesized) -> None:
    table = synthesized.logical_id("Tables/Surveys/Table")
    by_resources = {frozenset(_resources(s)): set(as_list(s["Action"]))
                    for s in _statements(synthesized, DISPATCHER, "dynamodb")}
    assert by_resources[frozenset({f"<{table}.Arn>", f"<{table}.Arn>/index/by_customer"})] == READ_ONLY
    assert by_resources[frozenset({f"<{table}.Arn>"})] == WRITES  # no DeleteItem, no BatchWriteItem


@pytest.mark.parametrize("spec", [DISPATCHER, SENDER], ids=lambda spec: spec.name)
def test_a_consumer_that_requeues_can_send_only_to_its_own_queue(synthesized: Synthesized,
                                                                 spec: FunctionSpec) -> None:
    # Given a queue consumer that puts messages back on its queue (delays for quiet hours)
    assert isinstance(spec.source, SqsSource) and spec.queues_sent == (spec.source.queue,)
    queue = _queue_id(synthesized, spec.source.queue)
    sends = [s for s in _statements(synthesized, spec, "sqs") if "sqs:SendMessage" in as_list(s["Action"])]
    assert len(sends) == 1
    assert as_list(sends[0]["Action"]) == ["sqs:SendMessage"]
    assert _resources(sends[0]) == {f"<{queue}.Arn>"}
    # And it may use that queue's key only through SQS (SendMessage to an encrypted queue needs both)
    key = synthesized.logical_id(f"Messaging/{pascal(spec.source.queue)}/Key")
    via_sqs = [s for s in _statements(synthesized, spec, "kms") if "Condition" in s
               and "sqs." in render(s["Condition"]["StringEquals"]["kms:ViaService"])]
    assert len(via_sqs) == 1 and _resources(via_sqs[0]) == {f"<{key}.Arn>"}
    assert set(as_list(via_sqs[0]["Action"])) == {"kms:GenerateDataKey", "kms:Decrypt"}


@pytest.mark.parametrize("spec", [spec for spec in SPECS if spec.connect_actions], ids=lambda spec: spec.name)
def test_connect_is_used_only_on_the_instance_contacts(synthesized: Synthesized, spec: FunctionSpec) -> None:
    instance = synthesized.logical_id("ContactCenter/Instance")
    statements = _statements(synthesized, spec, "connect")
    granted = {action for s in statements for action in as_list(s["Action"])}
    assert granted == {f"connect:{action}" for action in spec.connect_actions}
    for statement in statements:
        for action in as_list(statement["Action"]):
            if CONNECT_ACTION_RESOURCES[action.removeprefix("connect:")] == "contact":
                assert _resources(statement) == {f"<{instance}.Arn>/contact/*"}
            elif CONNECT_ACTION_RESOURCES[action.removeprefix("connect:")] == "start":
                # StartTaskContact, StartChatContact: this instance's contacts, flows and task templates only
                assert _resources(statement) == {f"<{instance}.Arn>/{kind}/*"
                                                  for kind in ("contact", "contact-flow", "task-template")}
            elif CONNECT_ACTION_RESOURCES[action.removeprefix("connect:")] == "queue":
                # The metric APIs: the instance and each of the stack's queues by ARN, no wildcard
                queues = {f"<{synthesized.logical_id(f'ContactCenter/Queue{pascal(q)}')}.QueueArn>"
                          for q in load_policy().queues}
                assert _resources(statement) == {f"<{instance}.Arn>"} | queues
            elif CONNECT_ACTION_RESOURCES[action.removeprefix("connect:")] == "flow":
                # StartChatContact: the instance's flows (they are created after the functions)
                assert _resources(statement) == {f"<{instance}.Arn>/contact-flow/*"}
            else:
                # StartOutboundVoiceContact: the Service Authorization Reference lists no resource type
                assert action == "connect:StartOutboundVoiceContact" and _resources(statement) == {"*"}
                assert as_list(statement["Action"]) == [action]


def test_answers_function_can_put_events_only_on_the_domain_bus_as_our_source(synthesized: Synthesized) -> None:
    statements = _statements(synthesized, ANSWERS, "events")
    assert len(statements) == 1
    assert as_list(statements[0]["Action"]) == ["events:PutEvents"]
    assert _resources(statements[0]) == {f"<{synthesized.logical_id('Messaging/EventBus')}.Arn>"}
    assert statements[0]["Condition"] == {"StringEquals": {"events:source": EVENT_BUS.source}}
    # And no function the manifest does not let publish may publish
    for spec in SPECS:
        if not spec.publishes_events:
            assert not _statements(synthesized, spec, "events")


def test_no_sms_permission_while_sms_surveys_are_disabled(synthesized: Synthesized) -> None:
    for spec in SPECS:
        assert not _statements(synthesized, spec, "sms-voice")


def test_only_the_declared_functions_use_connect(synthesized: Synthesized) -> None:
    # The outreach planner only plans: it never calls Connect (the sender does)
    assert not FUNCTIONS["outreach-planner"].connect_actions
    for spec in SPECS:
        if not spec.connect_actions:
            assert not _statements(synthesized, spec, "connect"), spec.name


# --- event sources ---------------------------------------------------------------------------------

def _permissions(synthesized: Synthesized, function_id: str) -> list[dict[str, Any]]:
    return [p["Properties"] for p in synthesized.of_type("AWS::Lambda::Permission").values()
            if p["Properties"]["FunctionName"] == {"Fn::GetAtt": [function_id, "Arn"]}]


def _associations(synthesized: Synthesized, function_id: str) -> list[dict[str, Any]]:
    return [{k: v for k, v in a["Properties"].items() if k != "Tags"}
            for a in synthesized.of_type("AWS::Connect::IntegrationAssociation").values()
            if a["Properties"]["IntegrationArn"] == {"Fn::GetAtt": [function_id, "Arn"]}]


@pytest.mark.parametrize("spec", FLOW_SPECS, ids=lambda spec: spec.name)
def test_only_the_connect_instance_may_invoke_a_flow_function(synthesized: Synthesized, spec: FunctionSpec) -> None:
    function_id, _ = _function(synthesized, spec)
    instance_id = synthesized.logical_id("ContactCenter/Instance")
    assert _permissions(synthesized, function_id) == [{
        "Action": "lambda:InvokeFunction",
        "FunctionName": {"Fn::GetAtt": [function_id, "Arn"]},
        "Principal": "connect.amazonaws.com",
        "SourceArn": {"Fn::GetAtt": [instance_id, "Arn"]},
        "SourceAccount": {"Ref": "AWS::AccountId"},
    }]
    assert _associations(synthesized, function_id) == [{
        "InstanceId": {"Fn::GetAtt": [instance_id, "Arn"]},
        "IntegrationType": "LAMBDA_FUNCTION",
        "IntegrationArn": {"Fn::GetAtt": [function_id, "Arn"]},
    }]


@pytest.mark.parametrize("spec", QUEUE_SPECS, ids=lambda spec: spec.name)
def test_a_queue_consumer_reads_its_queue_in_batches_reporting_item_failures(
    synthesized: Synthesized, spec: FunctionSpec,
) -> None:
    assert isinstance(spec.source, SqsSource)
    function_id, _ = _function(synthesized, spec)
    mappings = [m["Properties"] for m in synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
                if m["Properties"]["FunctionName"] == {"Ref": function_id}]
    assert len(mappings) == 1
    mapping = mappings[0]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [_queue_id(synthesized, spec.source.queue), "Arn"]}
    assert mapping["BatchSize"] == spec.source.batch_size
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping.get("MaximumBatchingWindowInSeconds", 0) == spec.source.max_batching_window_seconds
    assert mapping.get("ScalingConfig", {}).get("MaximumConcurrency") == spec.source.maximum_concurrency
    # And neither Connect nor anything else may invoke it directly
    assert _permissions(synthesized, function_id) == []
    assert _associations(synthesized, function_id) == []


@pytest.mark.parametrize("spec", QUEUE_SPECS, ids=lambda spec: spec.name)
def test_queue_visibility_is_at_least_six_times_its_consumer_timeout(synthesized: Synthesized,
                                                                     spec: FunctionSpec) -> None:
    assert isinstance(spec.source, SqsSource)
    queue = synthesized.resources[_queue_id(synthesized, spec.source.queue)]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * spec.timeout_seconds


@pytest.mark.parametrize("spec", [s for s in SPECS if s.connect_actions and isinstance(s.source, SqsSource)],
                         ids=lambda spec: spec.name)
def test_a_connect_caller_runs_at_most_the_instances_its_pace_is_divided_by(synthesized: Synthesized,
                                                                            spec: FunctionSpec) -> None:
    # Each instance paces at its share / maximum_concurrency: the mapping must cap the instances at that number
    assert isinstance(spec.source, SqsSource) and spec.source.maximum_concurrency
    function_id, _ = _function(synthesized, spec)
    mapping = next(m["Properties"] for m in synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
                   if m["Properties"]["FunctionName"] == {"Ref": function_id})
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": spec.source.maximum_concurrency}


def test_no_function_reserves_concurrency_unless_the_context_asks(synthesized: Synthesized) -> None:
    functions = synthesized.of_type("AWS::Lambda::Function").values()
    assert not [f for f in functions if "ReservedConcurrentExecutions" in f["Properties"]]


def test_routing_reserved_concurrency_comes_from_the_context(tmp_path: Path, tiny_asset: Path) -> None:
    reserved = synthesize(tmp_path, {"stage": "reserved", "routing_reserved_concurrency": "200"}, asset_dir=tiny_asset)
    routing_id, routing = _function(reserved, FUNCTIONS["routing"])
    assert routing["ReservedConcurrentExecutions"] == 200
    others = [f for logical_id, f in reserved.of_type("AWS::Lambda::Function").items() if logical_id != routing_id]
    assert not [f for f in others if "ReservedConcurrentExecutions" in f["Properties"]]


@pytest.mark.parametrize("value", ["0", "-5", "many", "1.5"])
def test_a_reservation_that_is_not_a_whole_positive_number_is_refused(tmp_path: Path, tiny_asset: Path,
                                                                       value: str) -> None:
    with pytest.raises(ValueError, match="routing_reserved_concurrency"):
        synthesize(tmp_path, {"stage": "reserved", "routing_reserved_concurrency": value}, asset_dir=tiny_asset)


def test_a_queue_visibility_below_six_consumer_timeouts_stops_the_synthesis(tiny_asset: Path) -> None:
    import aws_cdk as cdk
    import msgspec

    from infra.constructs.functions import ConnectInstance, Functions
    from infra.constructs.messaging import Messaging
    from infra.constructs.tables import Tables

    # Given a survey-requests queue whose visibility timeout is only 5x the dispatcher's timeout
    short = msgspec.structs.replace(QUEUES["survey-requests"],
                                    visibility_timeout_seconds=5 * DISPATCHER.timeout_seconds)
    stack = cdk.Stack(cdk.App(), "ShortVisibility")
    messaging = Messaging(stack, "Messaging", stage="t", instance_arn="instance-arn",
                          queues={"survey-requests": short}, rules={})
    # When the functions are built, Then the consumer is refused
    with pytest.raises(ValueError, match="below 6x"):
        Functions(stack, "Functions", stage="t", asset_dir=tiny_asset, tables=Tables(stack, "Tables").by_name,
                  queues=messaging.queues, event_bus=messaging.event_bus, wired_environment={},
                  instance=ConnectInstance("instance-arn", "111122223333"))


# --- SMS and e-mail ---------------------------------------------------------------------------------

POOL_ID = "pool-0123456789abcdef0123456789abcdef"
EMAIL_FROM = "care@updates.example.com"


@pytest.fixture(scope="module")
def with_sms(tmp_path_factory: pytest.TempPathFactory, tiny_asset: Path) -> Synthesized:
    """A warm synth with SMS sent from an End User Messaging pool and e-mail from an SES address."""
    return synthesize(tmp_path_factory.mktemp("sms"),
                      {"stage": "sms", "sms_origination_identity": POOL_ID, "email_from_identity": EMAIL_FROM},
                      asset_dir=tiny_asset)


@pytest.mark.parametrize("sender", [spec for spec in SPECS if spec.sends_sms], ids=lambda spec: spec.name)
def test_sms_is_sent_only_from_the_configured_origination_identity(with_sms: Synthesized,
                                                                   sender: FunctionSpec) -> None:
    assert sender.sends_sms
    statements = _statements(with_sms, sender, "sms-voice")
    assert len(statements) == 1
    assert as_list(statements[0]["Action"]) == ["sms-voice:SendTextMessage"]
    assert _resources(statements[0]) == {
        f"arn:<AWS::Partition>:sms-voice:<AWS::Region>:<AWS::AccountId>:pool/{POOL_ID}"}
    _, function = _function(with_sms, sender)
    assert function["Environment"]["Variables"]["SMS_ORIGINATION_IDENTITY"] == POOL_ID
    for spec in SPECS:
        if not spec.sends_sms:
            assert not _statements(with_sms, spec, "sms-voice")


@pytest.mark.parametrize("identity", ["+14155550100", "MyBrand", "pool-*"])
def test_an_origination_identity_that_cannot_be_scoped_is_refused(tmp_path: Path, tiny_asset: Path,
                                                                  identity: str) -> None:
    with pytest.raises(Exception, match="can be scoped in IAM"):
        synthesize(tmp_path, {"stage": "bad", "sms_origination_identity": identity}, asset_dir=tiny_asset)


@pytest.mark.parametrize("sender", [spec for spec in SPECS if spec.sends_email], ids=lambda spec: spec.name)
def test_email_is_sent_only_from_the_configured_address(with_sms: Synthesized, sender: FunctionSpec) -> None:
    # Given e-mail configured with a From address
    statements = _statements(with_sms, sender, "ses")
    # Then the sender may SendEmail as that address only: on its own identity or its domain's (SES authorizes
    # whichever is verified), held to the address by ses:FromAddress
    assert len(statements) == 1
    assert as_list(statements[0]["Action"]) == ["ses:SendEmail"]
    prefix = "arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/"
    assert _resources(statements[0]) == {prefix + EMAIL_FROM, prefix + "updates.example.com"}
    assert statements[0]["Condition"] == {"StringEquals": {"ses:FromAddress": EMAIL_FROM}}
    _, function = _function(with_sms, sender)
    assert function["Environment"]["Variables"]["EMAIL_FROM_IDENTITY"] == EMAIL_FROM
    # And no function that does not send e-mail may
    for spec in SPECS:
        if not spec.sends_email:
            assert not _statements(with_sms, spec, "ses")


def test_no_email_permission_while_email_is_disabled(synthesized: Synthesized) -> None:
    for spec in SPECS:
        assert not _statements(synthesized, spec, "ses")
        if "EMAIL_FROM_IDENTITY" in spec.wired_environment:
            assert _function(synthesized, spec)[1]["Environment"]["Variables"]["EMAIL_FROM_IDENTITY"] == ""


@pytest.mark.parametrize("identity", ["updates.example.com", "*@example.com",
                                      "arn:aws:ses:us-east-1:111122223333:identity/*"])
def test_an_email_identity_that_is_not_one_address_is_refused(tmp_path: Path, tiny_asset: Path,
                                                              identity: str) -> None:
    with pytest.raises(Exception, match="can be scoped in IAM"):
        synthesize(tmp_path, {"stage": "bad", "email_from_identity": identity}, asset_dir=tiny_asset)


# --- stream consumers (ticket-events) ----------------------------------------------------------------

def _stream_mapping(synthesized: Synthesized, spec: FunctionSpec) -> dict[str, Any]:
    function_id, _ = _function(synthesized, spec)
    mappings = [m["Properties"] for m in synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
                if m["Properties"]["FunctionName"] == {"Ref": function_id}]
    assert len(mappings) == 1
    return mappings[0]


def test_ticket_events_consumes_the_tickets_stream() -> None:
    assert [(spec.name, spec.source.table) for spec in STREAM_SPECS] == [("ticket-events", "tickets")]


@pytest.mark.parametrize("spec", STREAM_SPECS, ids=lambda spec: spec.name)
def test_a_stream_consumer_splits_retries_then_sends_failures_to_its_encrypted_queue(
    synthesized: Synthesized, spec: FunctionSpec,
) -> None:
    assert isinstance(spec.source, DynamoDBStreamSource)
    mapping = _stream_mapping(synthesized, spec)
    table_id = synthesized.logical_id(f"Tables/{pascal(spec.source.table)}/Table")
    # Then it reads its table's stream as the manifest says
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [table_id, "StreamArn"]}
    assert mapping["StartingPosition"] == spec.source.starting_position
    assert mapping["BatchSize"] == spec.source.batch_size
    # And a failing batch is split and retried a bounded number of times and for a bounded time, then
    # given up to the on-failure queue, never retried until the stream trims it
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["MaximumRetryAttempts"] == spec.source.max_retries
    assert 60 <= mapping["MaximumRecordAgeInSeconds"] < 24 * 3600  # a stream keeps records 24 hours
    queue_id = synthesized.logical_id(f"Functions/{pascal(spec.name)}StreamFailures/Queue")
    assert mapping["DestinationConfig"] == {"OnFailure": {"Destination": {"Fn::GetAtt": [queue_id, "Arn"]}}}
    # And that queue is encrypted with a rotating key of its own, TLS only, kept 14 days
    queue = synthesized.resources[queue_id]["Properties"]
    key_id = queue["KmsMasterKeyId"]["Fn::GetAtt"][0]
    assert key_id == synthesized.logical_id(f"Functions/{pascal(spec.name)}StreamFailures/Key")
    assert synthesized.resources[key_id]["Properties"]["EnableKeyRotation"] is True
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600
    policies = [p["Properties"]["PolicyDocument"]["Statement"] for p in synthesized.of_type("AWS::SQS::QueuePolicy")
                .values() if {"Ref": queue_id} in p["Properties"]["Queues"]]
    assert any(s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
               for statements in policies for s in statements)
    # And nothing may invoke the function directly
    function_id, _ = _function(synthesized, spec)
    assert _permissions(synthesized, function_id) == []
    assert _associations(synthesized, function_id) == []


@pytest.mark.parametrize("spec", STREAM_SPECS, ids=lambda spec: spec.name)
def test_a_stream_consumer_may_read_only_its_table_stream(synthesized: Synthesized, spec: FunctionSpec) -> None:
    assert isinstance(spec.source, DynamoDBStreamSource)
    table_id = synthesized.logical_id(f"Tables/{pascal(spec.source.table)}/Table")
    dynamodb = _statements(synthesized, spec, "dynamodb")
    stream_reads = [s for s in dynamodb if set(as_list(s["Action"])) & STREAM_READ]
    # Then the four stream actions Lambda's poller uses, on that one stream (no "*", no other table)
    assert len(stream_reads) == 1
    assert set(as_list(stream_reads[0]["Action"])) == STREAM_READ
    assert _resources(stream_reads[0]) == {f"<{table_id}.StreamArn>"}
    # And it reads nothing else of DynamoDB than the manifest declares (ticket-events reads no table)
    assert len(dynamodb) == 1 + bool(spec.tables_read) + bool(spec.tables_written)
    # And it decrypts the stream with the table's key, only through DynamoDB
    table_key = f"<{synthesized.logical_id(f'Tables/{pascal(spec.source.table)}/Key')}.Arn>"
    decrypts = [s for s in _statements(synthesized, spec, "kms") if _resources(s) == {table_key}]
    assert len(decrypts) == 1 and as_list(decrypts[0]["Action"]) == ["kms:Decrypt"]
    assert "dynamodb." in render(decrypts[0]["Condition"]["StringEquals"]["kms:ViaService"])
    # And it may send to its on-failure queue only (the mapping sends with the function's role)
    queue = f"<{synthesized.logical_id(f'Functions/{pascal(spec.name)}StreamFailures/Queue')}.Arn>"
    sends = [s for s in _statements(synthesized, spec, "sqs") if "sqs:SendMessage" in as_list(s["Action"])]
    assert [_resources(s) for s in sends] == [{queue}]


# --- API functions (ticket-api) ----------------------------------------------------------------------

@pytest.mark.parametrize("spec", API_SPECS, ids=lambda spec: spec.name)
def test_only_its_api_stage_may_invoke_an_api_function(synthesized: Synthesized, spec: FunctionSpec) -> None:
    assert isinstance(spec.source, ApiSource)
    function_id, _ = _function(synthesized, spec)
    api_id = synthesized.logical_id(f"Apis/{pascal(spec.source.api)}/Api")
    # Then one permission: API Gateway, from this API's deployed stage (any method, any path), this account
    (permission,) = _permissions(synthesized, function_id)
    assert permission["Principal"] == "apigateway.amazonaws.com"
    assert permission["Action"] == "lambda:InvokeFunction"
    assert render(permission["SourceArn"]) == (
        f"arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<{api_id}>/{STAGE}/*/*")
    assert permission["SourceAccount"] == {"Ref": "AWS::AccountId"}
    # And Connect neither may invoke it nor has it associated
    assert _associations(synthesized, function_id) == []
    assert not _statements(synthesized, spec, "connect")
    # And it consumes nothing
    assert not [m for m in synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
                if m["Properties"]["FunctionName"] == {"Ref": function_id}]
