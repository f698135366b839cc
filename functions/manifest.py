"""Which function handles which event source, declared once.

Read by the CDK app (infra/constructs/functions.py creates each function, its
environment, its table grants and its Connect association) and by the local
runtime (flowlang's simulator maps the flow's `{{lambda:NAME}}` placeholders to
these handlers and sets the same environment variables with local values).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ConnectFlowSource:
    """Invoked synchronously from contact flows, which refer to it as {{lambda:<function name>}}.

    The flow's InvocationTimeLimitSeconds must exceed the function timeout (checked by flow lint).
    """


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    handler: str  # dotted path, "package.module.function"
    description: str
    source: ConnectFlowSource
    timeout_seconds: int
    memory_mb: int
    tables_read: tuple[str, ...] = ()  # logical names from functions.data.tables.TABLES
    tables_written: tuple[str, ...] = ()
    # Environment variables whose values the deployment supplies: name -> what it carries.
    wired_environment: dict[str, str] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)

    def load_handler(self) -> Callable[[dict[str, Any], Any], Any]:
        module, _, attribute = self.handler.rpartition(".")
        return getattr(importlib.import_module(module), attribute)


FUNCTIONS: dict[str, FunctionSpec] = {
    spec.name: spec
    for spec in (
        FunctionSpec(
            name="routing",
            handler="functions.routing.handler.lambda_handler",
            description="Recognises the caller and decides queue, priority and reason for the inbound flow",
            source=ConnectFlowSource(),
            timeout_seconds=4,
            memory_mb=512,
            tables_read=("profiles",),
            wired_environment={"QUEUE_ARNS": "JSON object: queue name (policy.json) -> queue ARN"},
            environment={
                "POWERTOOLS_SERVICE_NAME": "routing",
                "POWERTOOLS_METRICS_NAMESPACE": "CallCenter",
                "DEFAULT_PHONE_REGION": "US",
                "DDB_CONNECT_TIMEOUT_SECONDS": "0.3",
                "DDB_READ_TIMEOUT_SECONDS": "0.5",
                "DDB_MAX_ATTEMPTS": "2",
            },
        ),
    )
}
