"""Behaviour as data: the JSON documents a Lambda loads on its cold start (the routing and survey policies,
the outreach campaigns, the ticket notification settings), decoded into typed, immutable msgspec structs.

msgspec, not pydantic, because these are read while a caller or a queue waits on a cold start: decoding
with msgspec costs a few milliseconds, where importing pydantic and building the models cost about a third
of importing botocore. A struct declares its fields and simple bounds (`Annotated[int, Meta(ge=1)]`) and
checks its other rules in `__post_init__` (a ValueError there becomes a validation error with its location).
A field the document should not have is an error, never silently ignored. The tickets API's requests are
msgspec Structs too (functions/tickets/api_models.py). Pydantic stays only in the customer CSV importer
(functions/profiles/importer.py), which the CLI runs and no Lambda imports: it is not in the Lambda asset.

The functions' own value types (decisions, records, requests, the manifest's specs) are frozen msgspec Structs
for the same reason: a class is built in C when its module is imported, where a frozen dataclass generates and
compiles its methods from source, about fifteen times the work, paid again by every cold start.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import msgspec

T = TypeVar("T")


class Strict(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Immutable; a field the struct does not declare is an error. Subclasses add `kw_only=True`."""


def decode_document(document: str | bytes | dict[str, Any], kind: type[T], error: type[Exception], what: str) -> T:
    """Decode and validate a document (JSON text or an already parsed object) as `kind`; any problem raises
    `error` saying what is wrong and where, e.g. "survey policy is invalid: ... - at `$.quiet_hours`"."""
    try:
        if isinstance(document, str | bytes):
            return msgspec.json.decode(document, type=kind)
        return msgspec.convert(document, kind)
    except msgspec.ValidationError as exc:
        raise error(f"{what} is invalid:\n  {exc}") from exc
    except msgspec.DecodeError as exc:
        raise error(f"{what} is not valid JSON: {exc}") from exc


def read_document(path: Path, parse: Callable[[bytes], T], error: type[Exception], what: str) -> T:
    """Read a document file and parse it; an unreadable file or a problem in it raises `error` naming the file,
    e.g. "cannot read staffing file demo/x.json: No such file or directory" or "demo/x.json: staffing file is
    invalid: ..."."""
    try:
        text = Path(path).read_bytes()
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror or exc}") from exc
    try:
        return parse(text)
    except error as exc:
        raise error(f"{path}: {exc}") from exc


def to_document(value: msgspec.Struct) -> dict[str, Any]:
    """A struct as the JSON object it could be read from (fields at None left out)."""
    def strip(item: object) -> object:
        if isinstance(item, dict):
            return {k: strip(v) for k, v in item.items() if v is not None}
        if isinstance(item, list):
            return [strip(v) for v in item]
        return item
    return strip(msgspec.to_builtins(value))  # type: ignore[return-value]
