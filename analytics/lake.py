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

CONTACT_RECORDS = "contact_records"


def partition_of(record: Mapping[str, Any]) -> str:
    """``dt=YYYY-MM-DD`` from the record's initiation timestamp (UTC, as Connect writes it)."""
    return f"dt={record['InitiationTimestamp'][:10]}"


def write_jsonl(records: Iterable[Mapping[str, Any]], root: Path, *, part: int = 0,
                table: str = CONTACT_RECORDS) -> list[Path]:
    """Append records to ``<root>/<table>/dt=.../part-NNNNN.jsonl``, one file per date; returns the files."""
    by_partition: dict[str, list[bytes]] = defaultdict(list)
    encoder = msgspec.json.Encoder()
    for record in records:
        by_partition[partition_of(record)].append(encoder.encode(record))
    written = []
    for partition, lines in sorted(by_partition.items()):
        folder = Path(root) / table / partition
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"part-{part:05d}.jsonl"
        with path.open("ab") as out:
            out.write(b"\n".join(lines) + b"\n")
        written.append(path)
    return written
