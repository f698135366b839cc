"""One Logger, Tracer and Metrics for every function.

Powertools reads its configuration (service name, namespace, log level, whether
tracing/metrics are disabled) from the environment when these objects are
created; creating them is cheap and touches no AWS API, so they can live at
module level. Locally the CLI sets POWERTOOLS_TRACE_DISABLED and
POWERTOOLS_METRICS_DISABLED before importing handlers.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(service="callcenter")
tracer = Tracer(service="callcenter")
metrics = Metrics(namespace="CallCenter", service="callcenter")

__all__ = ["logger", "metrics", "tracer"]
