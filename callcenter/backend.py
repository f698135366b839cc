"""The embedded local backend: moto in-process, the real tables, the real handlers.

One class, about 400 lines: starting and stopping moto, the functions' environment and invoking them are
the one lifecycle of `LocalBackend`; the emulators, event sources and moto patches are already apart.

`LocalBackend` starts moto, creates every table from its PynamoDB model
(functions/tables.py), sets each function's environment from the manifest
with local values, and acts as the flow simulator's ContactEnvironment: it maps
the flow's Lambda ARNs to our Python handlers, answers queue and hours questions
from policy.json, and can inject faults.
"""

from __future__ import annotations

import functools
import json
import os
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from callcenter import (
    moto_direct,
    moto_instances,
    moto_items,
    moto_serialization,
    moto_speedups,
    moto_sqs,
    moto_transactions,
)
from callcenter.connect_emulator import ConnectEmulator
from callcenter.emulators import DynamoDBTraffic, RetryWaits, SqsDelayEmulator
from callcenter.handler_output import HANDLER_STDOUT, bind_shared_logger
from callcenter.lines import local_line_numbers
from flowlang.flow import Placeholder
from functions.common.pacing import SimulatedClock, TimeSource, restore_time_source, use_time_source

__all__ = ["ConnectEmulator", "DynamoDBTraffic", "LocalBackend"]

REGION = "us-east-1"
ACCOUNT = "123456789012"
INSTANCE_ID = "local-instance"
INSTANCE_ARN = f"arn:aws:connect:{REGION}:{ACCOUNT}:instance/{INSTANCE_ID}"
LOCAL_EVENT_BUS = "callcenter-local"
#: The chat-identity secret of the local runtime: the site's backend stand-in (callcenter/chats.py) signs with
#: it, chat-start and routing check with it, as they do with the deployed secret in AWS.
LOCAL_CHAT_SECRET_NAME = "callcenter-local-chat-identity"
LOCAL_CHAT_SECRET = "local-chat-identity-secret-not-for-production"
SMS_ORIGINATION = "+18005550111"
#: The topic SMS conversations' chats are streamed to (the Connect emulator hands its items to `sms-chat-stream`).
CHAT_STREAM_TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:callcenter-local-sms-chat-stream"
EMAIL_FROM = "updates@callcenter.example"  # verified in moto's SES when the backend starts
SUPERVISOR_ALERTS_TOPIC = "callcenter-local-supervisor-alerts"  # created on moto's SNS when the backend starts
FAULT_KINDS = ("error", "timeout", "throttle")


def queue_arn(name: str) -> str:
    return f"{INSTANCE_ARN}/queue/{name}"


def hours_arn(name: str) -> str:
    return f"{INSTANCE_ARN}/operating-hours/{name}"


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:callcenter-{name}"


def flow_arn(name: str) -> str:
    return f"{INSTANCE_ARN}/contact-flow/{name}"


def view_arn(name: str) -> str:
    return f"{INSTANCE_ARN}/view/{name}"


def local_arn(placeholder: Placeholder) -> str:
    """What a flow placeholder stands for in the local backend (CDK resolves the same names to real ARNs)."""
    builders = {"lambda": function_arn, "queue": queue_arn, "hours": hours_arn, "flow": flow_arn,
                "view": view_arn}
    if placeholder.kind not in builders:
        raise KeyError(f"no local value for placeholder {placeholder}")
    return builders[placeholder.kind](placeholder.name)


@functools.cache
def local_client(service: str, account_id_endpoint_mode: str | None = None) -> Any:
    """One client per service for the local runtime's own calls (publishing events, polling queues).

    Made once per process: building a client costs far more than a request on moto, and moto answers
    any client made after it is imported, whichever mock is active (as `_create_tables` relies on).
    """
    import boto3
    from botocore.config import Config

    config = Config(account_id_endpoint_mode=account_id_endpoint_mode) if account_id_endpoint_mode else None
    return boto3.client(service, region_name=REGION, config=config)  # type: ignore[call-overload]


class FaultSpecError(ValueError):
    pass


def parse_faults(specs: Iterable[str]) -> dict[str, str]:
    """["routing=error"] -> {"routing": "error"}; unknown functions or kinds are clear errors."""
    from functions.manifest import FUNCTIONS

    faults: dict[str, str] = {}
    for spec in specs:
        name, sep, kind = spec.partition("=")
        if not sep or name not in FUNCTIONS or kind not in FAULT_KINDS:
            raise FaultSpecError(
                f"bad fault {spec!r}: use FUNCTION=KIND with FUNCTION in {sorted(FUNCTIONS)} "
                f"and KIND in {list(FAULT_KINDS)}")
        faults[name] = kind
    return faults


def _is_emf(line: str) -> bool:
    try:
        document = json.loads(line)
    except json.JSONDecodeError:
        return False
    return isinstance(document, dict) and "_aws" in document


@dataclass
class LocalLambdaContext:
    """The parts of the Lambda context object our handlers (and Powertools) read."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_seconds: float
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self._started)) * 1000))


@dataclass(slots=True)
class LambdaRecord:
    """One invocation (a simulated day keeps a few per call: slots keep each small)."""

    function: str
    elapsed_s: float
    outcome: str  # "ok" | "error" | "timeout"
    dynamodb_calls: int


class LocalBackend:
    """Context manager: `with LocalBackend() as backend: ...`."""

    def __init__(self, *, log_level: str = "ERROR", faults: dict[str, str] | None = None,
                 full_queues: Iterable[str] = ()) -> None:
        self.log_level = log_level
        self.faults = dict(faults or {})
        self.full_queues = set(full_queues)
        self.invocations: list[LambdaRecord] = []
        self.function_env: dict[str, dict[str, str]] = {}
        self.connect = ConnectEmulator()  # Connect contacts and SMS, which moto does not implement
        self.sqs_delays = SqsDelayEmulator()  # SQS DelaySeconds in simulated time
        self.retry_waits = RetryWaits()  # botocore's retry back-off in simulated time
        self.queue_urls: dict[str, str] = {}
        self.dlq_urls: dict[str, str] = {}
        self.now: datetime | None = None  # the simulated moment; the handlers' clock is pinned to it
        self.metrics: Counter[tuple[str, tuple[tuple[str, str], ...]]] = Counter()
        self.handler_logs: list[tuple[str, str]] = []  # (function, log line) in the order written
        self._mock: Any = None
        self._saved_env: dict[str, str | None] = {}
        self._restore_logger: Callable[[], None] = lambda: None
        # The functions' Connect pacing (functions/common/pacing.py) runs on this clock locally: it moves when a
        # function waits for its pace, so nothing sleeps for real; a load test also drives it (callcenter/load.py).
        self.pace_clock = SimulatedClock()
        self._saved_time_source: TimeSource | None = None

    # --- lifecycle -------------------------------------------------------------------------
    def _set_env(self, values: dict[str, str]) -> None:
        for key, value in values.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    def __enter__(self) -> LocalBackend:
        self._set_env({
            "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_SESSION_TOKEN": "local",
            "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
            # Metrics stay enabled: the EMF lines our handlers print are captured per invocation
            # (see invoke_lambda) and counted in `self.metrics`, as CloudWatch would.
            "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": self.log_level,
        })
        DynamoDBTraffic.install()
        self._saved_time_source = use_time_source(self.pace_clock.now, self.pace_clock.sleep)
        moto_transactions.install()  # TransactWriteItems backs up the items it touches, not whole tables
        moto_speedups.install()  # what moto recomputes per request (JSONPath parsers, method lists), once
        moto_instances.install()  # moto's record of every model it made holds them weakly: dropped ones are freed
        moto_serialization.install()  # DynamoDB items written to JSON directly, not through the generic shape walk
        moto_sqs.install()  # a queue remembers the receipt handles of its last deletions, not of every one
        moto_items.install()  # DynamoDB items share their attribute names instead of a copy in each
        self.connect.activate()
        self.sqs_delays.activate()
        self.retry_waits.activate()
        moto_direct.activate()  # moto answers from botocore's before-call event: no signing, no HTTP leg
        from moto import mock_aws

        self._mock = mock_aws()
        self._mock.start()
        self._create_messaging()
        self._create_secrets()
        self._configure_functions()
        self._create_tables()
        self._restore_logger = bind_shared_logger(self.log_level)
        return self

    def __exit__(self, *exc: object) -> None:
        self._restore_logger()
        DynamoDBTraffic.throttle = False
        if self._saved_time_source is not None:
            restore_time_source(self._saved_time_source)
            self._saved_time_source = None
        self.connect.deactivate()
        self.sqs_delays.deactivate()
        self.retry_waits.deactivate()
        moto_direct.deactivate()
        if self._mock is not None:
            self._mock.stop()
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()

    def _wired_values(self) -> dict[str, str]:
        """Local values for what the deployment wires into functions (see FunctionSpec.wired_environment)."""
        from functions.routing.policy import load_policy

        policy = load_policy()
        return {
            "QUEUE_ARNS": json.dumps({name: queue_arn(name) for name in policy.queues}),
            "LINE_NUMBERS": json.dumps({line: list(numbers) for line, numbers in local_line_numbers(policy).items()}),
            "CONNECT_INSTANCE_ID": INSTANCE_ID,
            "SURVEY_FLOW_ID": "survey",
            "SURVEY_QUEUE_ARN": queue_arn(policy.default_queue),
            "SMS_ORIGINATION_IDENTITY": SMS_ORIGINATION,
            "OUTREACH_FLOW_ID": "outreach",
            "OUTREACH_CALLER_QUEUE_ARN": queue_arn(policy.default_queue),
            "EMAIL_FROM_IDENTITY": EMAIL_FROM,
            "TASK_TEMPLATE_ID": "ticket-task",
            "SMS_FLOW_ID": "sms",
            "CHAT_STREAM_TOPIC_ARN": CHAT_STREAM_TOPIC,
            "DESKTOP_ORIGIN": "",  # `callcenter desktop` serves the page and the API from one origin: no CORS
            "CHAT_FLOW_ID": "chat",
            "CHAT_IDENTITY_SECRET_ARN": LOCAL_CHAT_SECRET_NAME,
            "CHAT_SITE_ORIGIN": "",  # the local chat page is served by `callcenter desktop`, same origin
            "SUPERVISOR_ALERTS_TOPIC_ARN": f"arn:aws:sns:{REGION}:{ACCOUNT}:{SUPERVISOR_ALERTS_TOPIC}",
        }

    def _configure_functions(self) -> None:
        """Each function's environment as CDK sets it, with local values; their union goes into os.environ."""
        from functions.common.settings import reset_settings_cache
        from functions.manifest import EVENT_BUS, FUNCTIONS, QUEUES
        from functions.tables import TABLES

        wired = self._wired_values()
        for spec in FUNCTIONS.values():
            env = dict(spec.environment)
            for logical in (*spec.tables_read, *spec.tables_written):
                env[TABLES[logical].env_var] = f"callcenter-local-{logical}"
            for name in spec.wired_environment:
                env[name] = wired[name]
            for queue in spec.queues_sent:
                env[QUEUES[queue].env_var] = self.queue_urls[queue]
            if spec.publishes_events:
                env[EVENT_BUS.env_var] = LOCAL_EVENT_BUS
            self.function_env[spec.name] = env
            self._set_env(env)
        reset_settings_cache()

    def _create_messaging(self) -> None:
        """The queues (each with its DLQ), the EventBridge rules feeding them, and our event bus, on moto."""
        from functions.manifest import EVENT_RULES, QUEUES

        # The process's clients (local_client): building three clients cost more than the rest of a backend's start.
        sqs = local_client("sqs")
        events = local_client("events")
        for spec in QUEUES.values():
            dlq_url = sqs.create_queue(QueueName=f"callcenter-local-{spec.name}-dlq")["QueueUrl"]
            dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            url = sqs.create_queue(QueueName=f"callcenter-local-{spec.name}", Attributes={
                # Local deliveries are immediate: a failed message is visible again at once.
                "VisibilityTimeout": "0",
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn,
                                             "maxReceiveCount": str(spec.max_receive_count)}),
            })["QueueUrl"]
            self.queue_urls[spec.name] = url
            self.dlq_urls[spec.name] = dlq_url
        events.create_event_bus(Name=LOCAL_EVENT_BUS)
        for rule in EVENT_RULES.values():
            # Connect publishes on the default bus; our domain events (TicketStatusChanged...) on our own.
            bus = {"EventBusName": LOCAL_EVENT_BUS} if rule.bus == "domain" else {}
            events.put_rule(Name=f"callcenter-local-{rule.name}", EventPattern=json.dumps(rule.event_pattern), **bus)
            target_arn = sqs.get_queue_attributes(QueueUrl=self.queue_urls[rule.target_queue],
                                                  AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            events.put_targets(Rule=f"callcenter-local-{rule.name}", Targets=[{"Id": rule.target_queue,
                                                                               "Arn": target_arn}], **bus)
        local_client("sns").create_topic(Name=SUPERVISOR_ALERTS_TOPIC)  # live sentiment's supervisor alerts
        # SES sends only from verified identities (moto enforces it too): verify the local sender.
        local_client("sesv2").create_email_identity(EmailIdentity=EMAIL_FROM)

    def _create_secrets(self) -> None:
        from functions.common.secrets import forget_secrets

        forget_secrets()  # a value cached by an earlier backend is not this one's
        local_client("secretsmanager").create_secret(Name=LOCAL_CHAT_SECRET_NAME, SecretString=LOCAL_CHAT_SECRET)

    _clients_primed = False

    def _create_tables(self) -> None:
        """Every table from its model, on this (fresh, empty) moto backend."""
        from functions.tables import TABLES, bind_tables

        bind_tables()
        for spec in TABLES.values():
            if not LocalBackend._clients_primed:
                # Clients made before the emulators were installed would miss them: rebuild once.
                # Later backends reuse the clients (moto intercepts them whichever mock is active).
                spec.model._connection = None
            spec.model.create_table(billing_mode="PAY_PER_REQUEST")
        LocalBackend._clients_primed = True

    # --- data ------------------------------------------------------------------------------
    def sent_emails(self) -> list[dict[str, Any]]:
        """What moto's SES accepted (the functions send through the real SES v2 API): source, to, subject, body."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends

        return [{"source": m.source, "to": list(m.destinations.get("ToAddresses", [])), "subject": m.subject,
                 "body": m.body} for m in ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages]

    def load_profiles(self, profiles: list[Any]) -> int:
        from functions.profiles.store import save_profiles

        return save_profiles(profiles)

    # --- ContactEnvironment ----------------------------------------------------------------
    def invoke_lambda(self, arn: str, event: dict[str, Any], time_limit_seconds: float) -> Any:
        """The handler's answer, or LambdaInvocationError: one failed invocation, which the caller handles as
        AWS would (a flow takes its error branch, a queue redelivers). A timeout happens only when injected:
        no simulated time passes inside a handler, so the wall clock (this machine's speed, the first call's
        imports) never decides an outcome and the same seed gives the same figures on any machine."""
        from flowlang.simulator import LambdaInvocationError
        from functions.common import clock
        from functions.manifest import FUNCTIONS

        name = arn.rsplit(":function:callcenter-", 1)[-1]
        spec = FUNCTIONS.get(name)
        if spec is None:
            raise LambdaInvocationError("error", f"no local function for {arn}")
        fault = self.faults.get(name)
        calls_before = DynamoDBTraffic.total_calls()
        if fault == "error":
            self.invocations.append(LambdaRecord(name, 0.0, "error", 0))
            raise LambdaInvocationError("error", "injected fault: the function raised an exception")
        if fault == "timeout":
            self.invocations.append(LambdaRecord(name, time_limit_seconds, "timeout", 0))
            raise LambdaInvocationError(
                "timeout", f"injected fault: no answer within {time_limit_seconds:g} s")
        os.environ.update(self.function_env[name])  # this function's own values where functions overlap
        context = LocalLambdaContext(name, arn, spec.memory_mb, spec.timeout_seconds)
        DynamoDBTraffic.throttle = fault == "throttle"
        # The function's duration is its CPU time (the process runs nothing else meanwhile, and moto answers
        # in-process) plus the retry back-off it waited in simulated time: on a busy, shared machine the wall
        # clock would make the same call slow one day and not the next. Only injected faults time out here.
        with HANDLER_STDOUT.capturing() as emitted:
            waited_before = self.retry_waits.waited_s
            started = time.process_time()
            try:
                handler = spec.load_handler()
                started = time.process_time()  # the import (cold start) is not part of the handler's time
                with clock.pinned(self.now):
                    response = handler(json.loads(json.dumps(event)), context)
            except Exception as exc:  # a real failure of our handler: Connect takes the error branch
                elapsed = time.process_time() - started + self.retry_waits.waited_s - waited_before
                self.invocations.append(LambdaRecord(name, elapsed, "error", self._calls_since(calls_before)))
                raise LambdaInvocationError("error", f"{type(exc).__name__}: {exc}") from exc
            finally:
                DynamoDBTraffic.throttle = False
                self._read_output(name, emitted.getvalue())
        elapsed = time.process_time() - started + self.retry_waits.waited_s - waited_before
        self.invocations.append(LambdaRecord(name, elapsed, "ok", self._calls_since(calls_before)))
        return response

    def _read_output(self, function: str, output: str) -> None:
        """What a handler printed: EMF documents are counted as metrics, the other lines are its logs."""
        self._count_metrics(output)
        self.handler_logs.extend((function, line) for line in output.splitlines() if line.strip() and not _is_emf(line))

    def _count_metrics(self, output: str) -> None:
        """Count the CloudWatch EMF metrics a handler printed (what CloudWatch would ingest)."""
        for line in output.splitlines():
            try:
                document = json.loads(line)
            except json.JSONDecodeError:
                continue
            if not isinstance(document, dict) or "_aws" not in document:
                continue
            for directive in document["_aws"].get("CloudWatchMetrics", []):
                names = [d for dims in directive.get("Dimensions", []) for d in dims]
                dimensions = tuple(sorted((d, str(document.get(d, ""))) for d in names))
                for metric in directive.get("Metrics", []):
                    values = document.get(metric["Name"], [])
                    self.metrics[(metric["Name"], dimensions)] += int(sum(values) if isinstance(values, list)
                                                                      else values)

    def metric_total(self, name: str) -> int:
        return sum(count for (metric, _), count in self.metrics.items() if metric == name)

    @staticmethod
    def _calls_since(before: int) -> int:
        return DynamoDBTraffic.total_calls() - before

    def queue_name(self, arn: str) -> str | None:
        from functions.routing.policy import load_policy

        prefix = f"{INSTANCE_ARN}/queue/"
        name = arn[len(prefix):] if isinstance(arn, str) and arn.startswith(prefix) else None
        return name if name in load_policy().queues else None

    def hours_open(self, queue_arn_: str | None, hours_id: str | None, at: datetime) -> bool:
        from functions.routing.policy import load_policy

        policy = load_policy()
        if hours_id:
            name = hours_id.rsplit("/", 1)[-1]
            if name not in policy.hours:
                raise KeyError(f"unknown hours of operation {hours_id}")
            return policy.hours[name].is_open(at)
        queue = self.queue_name(queue_arn_ or "")
        if queue is None:
            raise KeyError(f"unknown queue {queue_arn_}")
        return policy.hours_for(queue).is_open(at)

    def queue_at_capacity(self, arn: str) -> bool:
        return self.queue_name(arn) in self.full_queues
