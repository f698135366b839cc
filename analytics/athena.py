"""Run one query on Athena and read its rows: StartQueryExecution, GetQueryExecution polled with a bounded
backoff, GetQueryResults page by page (botocore, no boto3).

The workgroup decides where results go and how they are encrypted (the contact lake's workgroup enforces its
configuration, infra/constructs/contact_lake.py), so no ResultConfiguration is sent. Throttled calls are tried
again after a growing pause; a query that FAILED or was CANCELLED, a missing credential or region, or any other
refusal raises :class:`AthenaError` with what Athena said. Pauses go through ``pause`` (the project's
``functions.common.clock.pause`` by default; tests pass their own, so nothing waits on the wall clock).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

#: Error codes of a request refused for its rate.
THROTTLING_CODES = frozenset({"ThrottlingException", "TooManyRequestsException", "Throttling"})
THROTTLE_ATTEMPTS = 5
#: The pause between two polls of a running query: from FIRST_POLL_SECONDS, doubling, at most MAX_POLL_SECONDS.
FIRST_POLL_SECONDS = 0.5
MAX_POLL_SECONDS = 5.0
#: How long (seconds of pauses, summed) a query may run before it is stopped.
MAX_WAIT_SECONDS = 600.0
PAGE_SIZE = 1000
_INTEGERS = {"tinyint", "smallint", "integer", "bigint"}
_FLOATS = {"double", "float", "real", "decimal"}


class AthenaError(RuntimeError):
    """The query could not run or did not succeed; the message says why (Athena's own reason when it gave one)."""


@dataclass(frozen=True)
class QueryResult:
    rows: list[dict[str, Any]]
    query_execution_id: str
    bytes_scanned: int
    pages: int
    polls: int


def athena_client(region: str | None = None) -> Any:
    """An Athena client from the default credential chain (profile, environment, instance role)."""
    from botocore.config import Config
    from botocore.session import get_session

    config = Config(connect_timeout=5, read_timeout=30, retries={"total_max_attempts": 3, "mode": "standard"})
    try:
        return get_session().create_client("athena", region_name=region, config=config)
    except NoRegionError as exc:
        raise AthenaError("no AWS region: pass --region or set AWS_REGION") from exc


def _call(client: Any, operation: str, pause: Callable[[float], None], **params: Any) -> dict[str, Any]:
    delay = 1.0
    for attempt in range(1, THROTTLE_ATTEMPTS + 1):
        try:
            return getattr(client, operation)(**params)
        except NoCredentialsError as exc:
            raise AthenaError("no AWS credentials found (profile, environment or role): sign in first, e.g. "
                              "aws sso login, or set AWS_PROFILE") from exc
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code") or "ClientError")
            if code in THROTTLING_CODES and attempt < THROTTLE_ATTEMPTS:
                pause(delay)
                delay *= 2
                continue
            raise AthenaError(f"Athena {operation}: {code}: {error.get('Message', '')}".rstrip(": ")) from exc
        except BotoCoreError as exc:
            raise AthenaError(f"Athena {operation}: {exc}") from exc
    raise AssertionError("unreachable")  # pragma: no cover


def _value(cell: dict[str, Any], kind: str) -> Any:
    text = cell.get("VarCharValue")
    if text is None:
        return None
    if kind in _INTEGERS:
        return int(text)
    if kind in _FLOATS:
        return float(text)
    return text


def run_query(client: Any, text: str, *, workgroup: str, database: str,
              pause: Callable[[float], None] | None = None,
              max_wait_seconds: float = MAX_WAIT_SECONDS) -> QueryResult:
    """Run `text` in `workgroup` on `database`; its rows as dicts (integers and doubles typed, NULL as None)."""
    if pause is None:
        from functions.common.clock import pause as clock_pause
        pause = clock_pause
    started = _call(client, "start_query_execution", pause, QueryString=text, WorkGroup=workgroup,
                    QueryExecutionContext={"Database": database})
    execution_id = started["QueryExecutionId"]
    waited, delay, polls = 0.0, FIRST_POLL_SECONDS, 0
    while True:
        execution = _call(client, "get_query_execution", pause, QueryExecutionId=execution_id)["QueryExecution"]
        polls += 1
        status = execution.get("Status", {})
        state = status.get("State")
        if state == "SUCCEEDED":
            break
        if state in ("FAILED", "CANCELLED"):
            reason = status.get("StateChangeReason") or status.get("AthenaError", {}).get("ErrorMessage") or \
                "no reason given"
            raise AthenaError(f"Athena query {execution_id} {state}: {reason}")
        if waited >= max_wait_seconds:
            _call(client, "stop_query_execution", pause, QueryExecutionId=execution_id)
            raise AthenaError(f"Athena query {execution_id} still {state} after {waited:.0f} s: stopped")
        pause(delay)
        waited += delay
        delay = min(MAX_POLL_SECONDS, delay * 2)
    scanned = int(execution.get("Statistics", {}).get("DataScannedInBytes", 0))
    rows: list[dict[str, Any]] = []
    names: list[str] = []
    kinds: list[str] = []
    token, pages = None, 0
    while True:
        params: dict[str, Any] = {"QueryExecutionId": execution_id, "MaxResults": PAGE_SIZE}
        if token:
            params["NextToken"] = token
        page = _call(client, "get_query_results", pause, **params)
        result = page["ResultSet"]
        data = result.get("Rows", [])
        if pages == 0:
            columns = result["ResultSetMetadata"]["ColumnInfo"]
            names = [c["Name"] for c in columns]
            kinds = [c.get("Type", "varchar").lower() for c in columns]
            data = data[1:]  # the first row of the first page repeats the column names
        pages += 1
        for row in data:
            cells = row.get("Data", [])
            rows.append({name: _value(cell, kind) for name, kind, cell in zip(names, kinds, cells, strict=True)})
        token = page.get("NextToken")
        if not token:
            break
    return QueryResult(rows, execution_id, scanned, pages, polls)
