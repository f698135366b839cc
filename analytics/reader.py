"""Read Connect contact records (and the tables beside them) into DuckDB, tolerating what real input holds.

``load_lake(path)`` takes a lake folder (``<path>/contact_records/dt=.../part-N.jsonl|.parquet`` and optionally
``survey_results/``, ``ticket_records/``, ``outreach_results/``, ``agent_sessions/``), a folder of contact-record
files, or one file. JSON files hold one record per line, as Connect streams them and Firehose writes them with
its newline delimiter, or records back to back with no delimiter (Firehose's default), or a JSON array; any
file starting with Parquet's magic bytes is read as Parquet, whatever its name (Firehose's objects have none).

Nothing in the input makes it fail: a record that cannot be counted is skipped and counted by reason
(``malformed_json``, ``not_a_record``, ``bad_value``, ``missing_field``, ``unknown_channel``,
``unknown_initiation_method``, ``bad_timestamp``), fields Connect may add later are ignored and counted by name,
and every version of a contact but its latest (``superseded_version``: duplicates and out-of-order updates) is
left to ``contacts.sql``, which keeps one row per ``ContactId``, so no contact is counted twice.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from analytics.ctr import CHANNELS, INITIATION_METHODS, parse_timestamp
from analytics.schema import CONTACT_RECORDS, TABLES, Table

PARQUET_MAGIC = b"PAR1"
_WHITESPACE = re.compile(r"\s*")
_CONNECT_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_MALFORMED = object()


@dataclass
class LoadReport:
    """What was read, what was skipped (by reason) and which unknown fields were ignored (by name)."""

    files: int = 0
    records_read: Counter[str] = field(default_factory=Counter)  # by table
    skipped: Counter[str] = field(default_factory=Counter)  # by reason
    ignored_fields: Counter[str] = field(default_factory=Counter)


def iter_documents(text: str) -> Iterator[Any]:
    """JSON values in ``text``: one per line, back to back, or mixed; a value that does not parse yields
    ``_MALFORMED`` and reading resumes at the next line or the next ``}{`` boundary, whichever comes first."""
    decoder = json.JSONDecoder()
    position, end = 0, len(text)
    while True:
        position = _WHITESPACE.match(text, position).end()  # type: ignore[union-attr]
        if position >= end:
            return
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            yield _MALFORMED
            resumes = [found + 1 for found in (text.find("\n", position), text.find("}{", position)) if found >= 0]
            position = min(resumes) if resumes else end
            continue
        if isinstance(value, list):  # an exported JSON array of records
            yield from value
        else:
            yield value


class _BadValue(ValueError):
    pass


def _normalise(value: Any, data_type: pa.DataType, name: str, extras: Counter[str] | None) -> Any:
    if value is None:
        return None
    if pa.types.is_struct(data_type):
        if not isinstance(value, dict):
            raise _BadValue(name)
        by_lower = {key.lower(): key for key in value} if isinstance(value, dict) else {}
        known = {f.name.lower() for f in data_type}
        if extras is not None:
            extras.update(key for key in value if key.lower() not in known)
        return {f.name: _normalise(value.get(by_lower.get(f.name.lower(), f.name)), f.type, f.name, None)
                for f in data_type}
    if pa.types.is_map(data_type):
        if not isinstance(value, dict):
            raise _BadValue(name)
        if pa.types.is_struct(data_type.item_type):  # SegmentAttributes: {"connect:Subtype": {"ValueString": ..}}
            return [(str(k), _normalise(v, data_type.item_type, name, None)) for k, v in value.items()
                    if v is not None]
        return [(str(k), v if isinstance(v, str) else json.dumps(v)) for k, v in value.items() if v is not None]
    if pa.types.is_int64(data_type):
        if isinstance(value, bool):
            raise _BadValue(name)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        raise _BadValue(name)
    if pa.types.is_float64(data_type):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise _BadValue(name)
    if pa.types.is_boolean(data_type):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise _BadValue(name)
    if not isinstance(value, str):
        raise _BadValue(name)
    if name.endswith("Timestamp") and not _CONNECT_TIME.match(value):
        try:  # fractional seconds or +00:00, as some exports write: Connect's own form
            return parse_timestamp(value).strftime("%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            return value  # left for the SQL check to count as bad_timestamp
    return value


def normalise_record(document: Any, table: Table, report: LoadReport) -> dict[str, Any] | None:
    """The record in the table's schema, or None (counted in ``report.skipped``)."""
    if not isinstance(document, dict):
        report.skipped["not_a_record"] += 1
        return None
    try:
        return _normalise(document, pa.struct(list(table.schema)), table.name, report.ignored_fields)
    except _BadValue:
        report.skipped["bad_value"] += 1
        return None


def _files(path: Path) -> dict[str, list[Path]]:
    path = Path(path)
    if path.is_file():
        return {CONTACT_RECORDS: [path]}
    tables = {name: sorted(p for p in (path / name).rglob("*") if p.is_file())
              for name in TABLES if (path / name).is_dir()}
    if not tables:  # a plain folder of contact-record files
        tables = {CONTACT_RECORDS: sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))}
    return tables


def _is_parquet(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == PARQUET_MAGIC


def _native_parquet(path: Path, table: Table) -> bool:
    """A Parquet file in exactly the table's schema (``write_parquet``'s): DuckDB reads it itself."""
    try:
        return _is_parquet(path) and pq.read_schema(path).equals(table.schema)
    except (pa.ArrowException, OSError):
        return False


def _read_file(path: Path, table: Table, report: LoadReport) -> pa.Table:
    report.files += 1
    is_parquet = _is_parquet(path)
    if is_parquet:
        try:
            data = pq.read_table(path)
        except (pa.ArrowException, OSError):
            report.skipped["unreadable_file"] += 1
            return table.schema.empty_table()
        report.records_read[table.name] += data.num_rows
        if data.schema.equals(table.schema):  # ours (write_parquet): no per-row work
            return data
        documents: Iterator[Any] = iter(data.to_pylist())
    else:
        documents = iter_documents(path.read_bytes().decode("utf-8", errors="replace"))
    rows = []
    for document in documents:
        if document is _MALFORMED:
            report.records_read[table.name] += 1
            report.skipped["malformed_json"] += 1
            continue
        if not is_parquet:
            report.records_read[table.name] += 1
        row = normalise_record(document, table, report)
        if row is not None:
            rows.append(row)
    return pa.Table.from_pylist(rows, schema=table.schema)


def _validity_sql(table: Table) -> str:
    """A CASE naming why a row cannot be counted (NULL when it can), for the table's required fields."""
    checks = [f"WHEN {name} IS NULL THEN 'missing_field'" for name in table.required]
    for name in table.required:
        if name.endswith("Timestamp"):
            checks.append(f"WHEN try_strptime({name}, '%Y-%m-%dT%H:%M:%SZ') IS NULL THEN 'bad_timestamp'")
    if table.name == CONTACT_RECORDS:
        channels = ", ".join(f"'{c}'" for c in sorted(CHANNELS))
        methods = ", ".join(f"'{m}'" for m in sorted(INITIATION_METHODS))
        checks += [
            f"WHEN Channel NOT IN ({channels}) THEN 'unknown_channel'",
            f"WHEN InitiationMethod NOT IN ({methods}) THEN 'unknown_initiation_method'",
            "WHEN Queue IS NOT NULL AND (Queue.Name IS NULL OR Queue.EnqueueTimestamp IS NULL) THEN 'missing_field'",
            "WHEN Queue IS NOT NULL AND try_strptime(Queue.EnqueueTimestamp, '%Y-%m-%dT%H:%M:%SZ') IS NULL "
            "THEN 'bad_timestamp'",
            "WHEN Queue.Duration < 0 OR Agent.AgentInteractionDuration < 0 OR Agent.CustomerHoldDuration < 0 "
            "OR Agent.AfterContactWorkDuration < 0 THEN 'bad_value'",
        ]
    return "CASE " + " ".join(checks) + " END"


def load_lake(path: Path, connection: duckdb.DuckDBPyConnection | None = None
              ) -> tuple[duckdb.DuckDBPyConnection, LoadReport]:
    """A DuckDB connection with one relation per lake table (every table, empty when absent), and the report.

    Each table is a view over its files (Parquet in the lake's schema read in place, in parallel and only the
    columns a query needs; everything else normalised in Python and registered as Arrow) that leaves out the
    rows the checks refuse. The queries read it once to build ``contacts`` (``analytics.kpis``), so nothing is
    copied into DuckDB first.
    """
    con = connection or duckdb.connect()
    con.execute("SET TimeZone = 'UTC'").fetchall()
    report = LoadReport()
    files = _files(path)
    for name, table in TABLES.items():
        native = [p for p in files.get(name, []) if _native_parquet(p, table)]
        parts = [_read_file(p, table, report) for p in files.get(name, []) if p not in native]
        con.register(f"_staged_{name}", pa.concat_tables(parts) if parts else table.schema.empty_table())
        source = f"SELECT * FROM _staged_{name}"
        if native:
            report.files += len(native)
            report.records_read[name] += sum(pq.read_metadata(p).num_rows for p in native)
            listed = ", ".join("'" + str(p).replace("'", "''") + "'" for p in native)
            source = f"SELECT * FROM read_parquet([{listed}]) UNION ALL BY NAME {source}"
        con.execute(f"CREATE OR REPLACE TEMP VIEW _checked_{name} AS SELECT *, {_validity_sql(table)} AS _skip_reason "
                    f"FROM ({source})").fetchall()
        for reason, count in con.execute(f"SELECT _skip_reason, COUNT(*) FROM _checked_{name} "
                                         "WHERE _skip_reason IS NOT NULL GROUP BY 1").fetchall():
            report.skipped[reason] += count
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * EXCLUDE (_skip_reason) FROM _checked_{name} "
                    "WHERE _skip_reason IS NULL").fetchall()
    ((superseded,),) = con.execute(f"SELECT COUNT(*) - COUNT(DISTINCT ContactId) FROM {CONTACT_RECORDS}").fetchall()
    if superseded:
        report.skipped["superseded_version"] += superseded
    return con, report
