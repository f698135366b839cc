"""Table plumbing every store shares: binding a model to its physical table and bounding its client.

It imports no feature: each handler (or its store) names the models it uses, so a handler loads only the
stores it reads. The list of every table is functions/tables.py, which only the CDK app, the local runtime
and the tests import; a model's key schema in DynamoDB terms (what CDK builds) is functions/storage/schema.py,
which no handler needs either. Each model declares, in its Meta, `table_name` (a placeholder until bound) and
`table_env_var` (the environment variable that carries the physical name in Lambda and in the local runtime).

One botocore session per thread for every model. PynamoDB makes a session for each model's connection (and for
each thread that uses it); a new session loads its data again from disk: the endpoints file (~7 MB once
decoded), the partitions, the defaults, DynamoDB's service model and rule set. A function reaching three models'
tables paid it three times (on the first request that reached each: about 40 ms of CPU each at one vCPU, 180
against 56 ms for three clients), and the local runtime, which runs every function in one process,
held a dozen copies (~10 MB each). `_thread_session` gives PynamoDB the functions' own session
(functions.common.aws.botocore_session) on the main thread (Lambda's only one), and on any other thread a
session of that thread (botocore sessions are not safe to share between threads) reading through the same
data loader, so the files are loaded and kept once per process. The models carry no credentials of their own
(the environment's chain applies), so a shared session changes nothing else.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from botocore.session import Session, get_session
from pynamodb.connection import base as pynamodb_connection
from pynamodb.models import Model

from functions.common.aws import botocore_session
from functions.common.settings import ClientBounds, dynamodb_bounds

_threads = threading.local()


def _thread_session() -> Session:
    """The session PynamoDB's connections use on this thread (see the module's docstring)."""
    session = getattr(_threads, "session", None)
    if session is None:
        if threading.current_thread() is threading.main_thread():
            session = botocore_session()
        else:
            session = get_session()
            session.register_component("data_loader", botocore_session().get_component("data_loader"))
        _threads.session = session
    return session


pynamodb_connection.get_session = _thread_session  # type: ignore[assignment]  # PynamoDB 6 calls it per connection


def table_env_var(model: type[Model]) -> str:
    """The environment variable that carries the model's physical table name."""
    return model.Meta.table_env_var  # type: ignore[attr-defined, no-any-return]


def bind_table_names(models: Iterable[type[Model]], environ: Mapping[str, str] | None = None) -> None:
    """Point each model at the table named in its environment variable (if set)."""
    env = os.environ if environ is None else environ
    for model in models:
        name = env.get(table_env_var(model))
        if name:
            model.Meta.table_name = name


#: What each model's client was last configured with: (table name, bounds). In Lambda one function owns the
#: process, so this is set once; the local runtime runs every function in one process, where functions that
#: share a model (profiles) each get their own bounds back on their next invocation, with the connection they
#: had (kept in `_connections`), so switching costs no new client.
_configured: dict[type[Model], tuple[str, ClientBounds]] = {}
_connections: dict[tuple[type[Model], str, ClientBounds], Any] = {}


def configure_data_access(models: Iterable[type[Model]], default: ClientBounds) -> None:
    """On first use (never at import), and again whenever the model was last set up otherwise: bind the models'
    table names from the environment and bound their clients (the DDB_* variables override `default`)."""
    bounds = dynamodb_bounds(default)
    for model in models:
        table = os.environ.get(table_env_var(model)) or model.Meta.table_name
        wanted = (table, bounds)
        current = _configured.get(model)
        if current == wanted:
            continue
        if current is not None and model._connection is not None:
            _connections[(model, *current)] = model._connection
        model.Meta.table_name = table
        configure_client(model, connect_timeout=bounds.connect_timeout_s, read_timeout=bounds.read_timeout_s,
                         max_attempts=bounds.max_attempts)
        model._connection = _connections.get((model, *wanted))  # None: built on first use with these settings
        _configured[model] = wanted


def reset_data_access() -> None:
    """Tests and the local runtime: configure again on next use (e.g. after changing table names)."""
    _configured.clear()
    _connections.clear()


def configure_client(model: type[Model], *, connect_timeout: float, read_timeout: float, max_attempts: int) -> None:
    """Bound the time a request may take: short timeouts, few retries (standard mode, with jitter)."""
    meta = model.Meta
    meta.connect_timeout_seconds = connect_timeout
    meta.read_timeout_seconds = read_timeout
    meta.max_retry_attempts = max_attempts - 1
    meta.retry_configuration = {"total_max_attempts": max_attempts, "mode": "standard"}
    model._connection = None  # rebuilt lazily with the new settings
