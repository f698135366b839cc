"""The lake's layout on disk: contact records partitioned by the date (UTC) of ``InitiationTimestamp``.

``<root>/contact_records/dt=2026-11-24/part-00000.jsonl`` holds one Connect contact record per line, as Firehose
writes them with its newline delimiter on; the Parquet form of the same layout sits beside it with ``.parquet``
files. The same prefix is what Firehose's dynamic partitioning writes in S3, so a folder synced from the bucket
and a folder a simulated day wrote are read the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

from analytics.schema import CONTACT_RECORDS, TABLES


def partition_of(record: Mapping[str, Any], field: str = "InitiationTimestamp") -> str:
    """``dt=YYYY-MM-DD`` from the record's initiation timestamp (UTC, as Connect writes it), or from the
    partition timestamp of another table (``analytics.schema.TABLES[name].partition_field``)."""
    return f"dt={record[field][:10]}"


def write_jsonl(records: Iterable[Mapping[str, Any]], root: Path, *, part: int = 0,
                table: str = CONTACT_RECORDS) -> list[Path]:
    """Append records to ``<root>/<table>/dt=.../part-NNNNN.jsonl``, one file per date; returns the files."""
    by_partition: dict[str, list[bytes]] = defaultdict(list)
    encoder = msgspec.json.Encoder()
    field = TABLES[table].partition_field if table in TABLES else "InitiationTimestamp"
    for record in records:
        by_partition[partition_of(record, field)].append(encoder.encode(record))
    written = []
    for partition, lines in sorted(by_partition.items()):
        folder = Path(root) / table / partition
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"part-{part:05d}.jsonl"
        with path.open("ab") as out:
            out.write(b"\n".join(lines) + b"\n")
        written.append(path)
    return written


def write_parquet(records: Iterable[Mapping[str, Any]], root: Path, *, part: int = 0,
                  table: str = CONTACT_RECORDS) -> list[Path]:
    """Write records to ``<root>/<table>/dt=.../part-NNNNN.parquet`` (one file per date, replacing a file of the
    same part number), in the table's Arrow schema (``analytics.schema``): the same columns and nesting as the
    Glue table Firehose converts the stream to. A record that does not fit the schema raises (pyarrow's
    ``ArrowInvalid``/``ArrowTypeError``): the writer is for records this project built, the reader is the
    tolerant side."""
    spec = TABLES[table]
    by_partition: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for record in records:
        by_partition[partition_of(record, spec.partition_field)].append(record)
    written = []
    for partition, rows in sorted(by_partition.items()):
        folder = Path(root) / table / partition
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"part-{part:05d}.parquet"
        pq.write_table(pa.Table.from_pylist(list(rows), schema=spec.schema), path, compression="zstd")
        written.append(path)
    return written
