"""What moto does not cover, played at botocore's event layer so the functions' real boto3 calls work locally.

- `DynamoDBTraffic` counts DynamoDB API calls and HTTP attempts and can inject throttling.
- `ServiceEmulator`, the base of an emulator answering some operations from botocore's `before-call` event;
  the Amazon Connect one (contacts, chats, tasks, SMS, quotas) is callcenter/connect_emulator.py.
- `SqsDelayEmulator` holds delayed SQS messages (SendMessage, SendMessageBatch) until the *simulated*
  clock reaches them.
- `RetryWaits` lets botocore's retry back-off pass in simulated time: no real sleep, the wait is counted.

All install themselves once per process into botocore's built-in handlers, the way moto installs
itself, so every client created afterwards (PynamoDB's and our lazily built ones) carries them.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

import botocore.handlers
from botocore.awsrequest import AWSResponse

_PARAMS = "callcenter_local_params"


def _response(status: int, url: str = "https://local.invalid/") -> AWSResponse:
    return AWSResponse(url, status, {"x-amzn-RequestId": str(uuid.uuid4())}, None)


def install_handler(event: str, handler: Callable[..., Any], *, first: bool = False, last: bool = False) -> None:
    """Register a botocore handler for every client made from now on.

    botocore copies its built-in handlers into a session when the session is made, so appending to them reaches
    sessions made later (PynamoDB makes its own). The functions' one session per process
    (functions.common.aws.botocore_session) may already exist, made before any local backend ran (a test that
    used the functions' clients first): it gets the handler too, and the functions' cached clients are dropped so
    the next ones are made with it. Without this, whether a call reached the emulator depended on test order.
    """
    from functions.common.aws import botocore_session, reset_clients

    if first or last:
        order = botocore.handlers.REGISTER_FIRST if first else botocore.handlers.REGISTER_LAST
        botocore.handlers.BUILTIN_HANDLERS.append((event, handler, order))
    else:
        botocore.handlers.BUILTIN_HANDLERS.append((event, handler))
    if botocore_session.cache_info().currsize:
        events = botocore_session().get_component("event_emitter")
        (events.register_first if first else events.register_last if last else events.register)(event, handler)
        reset_clients()


class DynamoDBTraffic:
    """Counts DynamoDB API calls and HTTP attempts, and injects throttling."""

    _installed = False
    calls: Counter[str] = Counter()
    attempts = 0
    throttle = False

    @classmethod
    def install(cls) -> None:
        if cls._installed:
            return
        install_handler("before-call.dynamodb", cls._on_call)
        install_handler("before-send.dynamodb", cls._on_send, first=True)
        cls._installed = True

    @classmethod
    def reset(cls) -> None:
        cls.calls = Counter()
        cls.attempts = 0

    @classmethod
    def total_calls(cls) -> int:
        return sum(cls.calls.values())

    @classmethod
    def _on_call(cls, model: Any = None, **_: Any) -> None:
        cls.calls[getattr(model, "name", "?")] += 1

    @classmethod
    def _on_send(cls, request: Any = None, **_: Any) -> AWSResponse | None:
        cls.attempts += 1
        if not cls.throttle:
            return None
        from moto.core.botocore_stubber import MockRawResponse

        # botocore emits before-send to every handler (then takes the first response): point the request
        # nowhere, so moto's stubber, which runs after us, does not apply a request DynamoDB refused.
        request.url = "https://throttled.invalid/"
        body = json.dumps({
            "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
            "message": "Rate of requests exceeds the allowed throughput (injected by callcenter).",
        }).encode()
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": str(uuid.uuid4())}
        return AWSResponse(request.url, 400, headers, MockRawResponse(body))


class RetryWaits:
    """botocore's retry back-off in simulated time: the wait is added up instead of slept.

    A throttled request is retried after a jittered delay (standard mode: up to a second and more); a
    simulated day cannot wait for real. While active, the `time` botocore's endpoint sleeps through is
    this object: `sleep` adds the delay to `waited_s`, everything else is the `time` module's.
    The local backend counts the wait into the invocation's duration, as the real function would spend it.
    """

    def __init__(self) -> None:
        self.waited_s = 0.0
        self._saved: Any = None

    def sleep(self, seconds: float) -> None:
        self.waited_s += max(0.0, float(seconds))

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    def activate(self) -> None:
        import botocore.endpoint

        self._saved = botocore.endpoint.time
        botocore.endpoint.time = self  # type: ignore[assignment]

    def deactivate(self) -> None:
        import botocore.endpoint

        if self._saved is not None and botocore.endpoint.time is self:
            botocore.endpoint.time = self._saved
        self._saved = None


class ServiceEmulator:
    """Answers some API operations in place of AWS, from botocore's `before-call` event.

    A subclass maps "service-id.Operation" to one of its methods, which takes the call's parameters
    and returns (http response, parsed response), or None to let the call through (to moto).
    Operations named in `failing` answer with a 500 error instead (fault injection).
    """

    OPERATIONS: ClassVar[dict[str, str]] = {}
    _active: ClassVar[dict[type, ServiceEmulator]] = {}
    _installed: ClassVar[set[type]] = set()
    failing: set[str]

    def activate(self) -> None:
        cls = type(self)
        if cls not in ServiceEmulator._installed:
            for operation in cls.OPERATIONS:
                install_handler(f"before-parameter-build.{operation}", _keep_params)
                install_handler(f"before-call.{operation}", cls._answer)
            ServiceEmulator._installed.add(cls)
        ServiceEmulator._active[cls] = self

    def deactivate(self) -> None:
        if ServiceEmulator._active.get(type(self)) is self:
            del ServiceEmulator._active[type(self)]

    @classmethod
    def _answer(cls, model: Any, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        emulator = ServiceEmulator._active.get(cls)
        if emulator is None:
            return None  # not inside a LocalBackend: let the call go wherever it was going
        if model.name in emulator.failing:
            return _error(500, "InternalServiceException", f"injected failure of {model.name}")
        operation = f"{model.service_model.service_id.hyphenize()}.{model.name}"
        return getattr(emulator, cls.OPERATIONS[operation])(context.get(_PARAMS, {}))


def _keep_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context[_PARAMS] = dict(params)


def _error(status: int, code: str, message: str) -> tuple[AWSResponse, dict[str, Any]]:
    return _response(status), {"Error": {"Code": code, "Message": message},
                               "ResponseMetadata": {"HTTPStatusCode": status}}


def _ok(**values: Any) -> tuple[AWSResponse, dict[str, Any]]:
    return _response(200), {**values, "ResponseMetadata": {"HTTPStatusCode": 200}}


@dataclass(frozen=True)
class DelayedMessage:
    queue_url: str
    body: str
    visible_at: datetime


@dataclass
class SqsDelayEmulator(ServiceEmulator):
    """SQS DelaySeconds in simulated time: moto delays in real seconds, a simulated day cannot wait.

    A SendMessage with a delay is held here with the moment it becomes visible (the pinned clock
    plus the delay); `due(now)` hands back those whose moment has come, for sending without delay.
    """

    held: list[DelayedMessage] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)

    OPERATIONS: ClassVar[dict[str, str]] = {"sqs.SendMessage": "send_message",
                                            "sqs.SendMessageBatch": "send_message_batch"}

    def send_message(self, params: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]] | None:
        from functions.common.clock import utc_now

        delay = int(params.get("DelaySeconds") or 0)
        if delay <= 0:
            return None  # moto takes it
        body = params.get("MessageBody", "")
        self.held.append(DelayedMessage(params["QueueUrl"], body, utc_now() + timedelta(seconds=delay)))
        return _ok(MessageId=str(uuid.uuid4()), MD5OfMessageBody=hashlib.md5(body.encode()).hexdigest())

    def send_message_batch(self, params: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]] | None:
        """A batch with any delayed entry is held whole (undelayed entries become visible at once, on the
        next delivery); a batch without delays goes to moto."""
        from functions.common.clock import utc_now

        entries = params.get("Entries") or []
        if not any(int(entry.get("DelaySeconds") or 0) > 0 for entry in entries):
            return None
        now, successful = utc_now(), []
        for entry in entries:
            body = entry.get("MessageBody", "")
            visible_at = now + timedelta(seconds=int(entry.get("DelaySeconds") or 0))
            self.held.append(DelayedMessage(params["QueueUrl"], body, visible_at))
            successful.append({"Id": entry["Id"], "MessageId": str(uuid.uuid4()),
                               "MD5OfMessageBody": hashlib.md5(body.encode()).hexdigest()})
        return _ok(Successful=successful, Failed=[])

    def due(self, now: datetime) -> list[DelayedMessage]:
        ready = [m for m in self.held if m.visible_at <= now]
        self.held = [m for m in self.held if m.visible_at > now]
        return ready

    def next_visible_at(self) -> datetime | None:
        return min((m.visible_at for m in self.held), default=None)
