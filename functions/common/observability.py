"""One Logger and Metrics shared by every function; tracing without the X-Ray SDK.

Powertools configures these from each function's environment (POWERTOOLS_SERVICE_NAME,
POWERTOOLS_LOG_LEVEL, set per function in functions/manifest.py) when they are created.
Creating them touches no AWS API, so they live at module level as Powertools intends; this is
the one place where the environment is read at import time. The metrics namespace is a product
constant, not read from the environment, so metrics work whatever imported this module first.

Tracing: every function runs with Lambda active tracing (infra/constructs/functions.py), so X-Ray records each
invocation's segment (init, invocation, overhead) with no SDK in the function. Powertools' Tracer would add
subsegments for the DynamoDB/SQS/Connect calls, at the price of importing the X-Ray SDK, which costs more at
cold start than botocore itself (about half of the routing handler's import before it was dropped). On the
call path that price is paid by a caller waiting in silence, and the batch consumers' requests are counted in
metrics and bounded by their clients' timeouts, so no handler imports it.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

METRICS_NAMESPACE = "CallCenter"

logger = Logger()
metrics = Metrics(namespace=METRICS_NAMESPACE)



def count_metric(name: str, value: float = 1, **dimensions: str) -> None:
    """A Count metric. With dimensions it is flushed on its own at once (EMF allows one dimension set
    per document); the service dimension is added either way."""
    if not dimensions:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
        return
    with single_metric(name=name, unit=MetricUnit.Count, value=value, namespace=metrics.namespace,
                       default_dimensions=dimensions):
        pass


def describe_error(exc: BaseException, code_only: tuple[type[BaseException], ...]) -> str:
    """What may be logged about an exception: the text of our own exceptions that carry only error codes
    (`code_only`), the type name of anything else (its text may hold personal data)."""
    if isinstance(exc, code_only):
        return f"{type(exc).__name__}: {exc}"
    return type(exc).__name__


__all__ = ["count_metric", "describe_error", "logger", "metrics"]
