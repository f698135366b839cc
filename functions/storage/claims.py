"""Claim records: the one pattern behind "at most once" for surveys, outreach contacts and ticket updates.

A claim record is the business fact of a piece of work (a contact's survey, a customer's outreach cycle,
the message about one ticket change) and, at the same time, its idempotency key:
- `create` is a conditional put (`attribute_not_exists` on the hash key): of any number of deliveries of
  the same event, exactly one creates the record; the others get None and stop (their claim is lost);
- `replace` moves the record forward only if it is still exactly what the writer read (status,
  updated_at and the optimistic-lock version): of two writers racing from the same record, one wins,
  the other gets None;
- `get` is strongly consistent, since it decides who may claim.
Every DynamoDB failure becomes the store's own "unavailable" error carrying only the error code.

Each data module keeps its model and mapping and exposes these operations under its own names.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import Enum
from typing import Any, Generic, Protocol, TypeVar

from pynamodb.models import Model

from functions.storage.errors import STORE_ERRORS, condition_failed, store_error_code


class ClaimRecord(Protocol):
    @property
    def status(self) -> Enum: ...

    @property
    def updated_at(self) -> datetime: ...

    @property
    def version(self) -> int | None: ...


R = TypeVar("R", bound=ClaimRecord)
M = TypeVar("M", bound=Model)


class ClaimStore(Generic[R, M]):
    def __init__(
        self,
        model: type[M],
        to_record: Callable[[M], R],
        to_item: Callable[..., M],  # (record, version=None) -> item
        unavailable: Callable[[str], Exception],
    ) -> None:
        self.model = model
        self.to_record = to_record
        self.to_item = to_item
        self.unavailable = unavailable

    def _failed(self, exc: Exception) -> Exception:
        return self.unavailable(store_error_code(exc))

    def get(self, *key: Any) -> R | None:
        """The record (strongly consistent), or None."""
        try:
            return self.to_record(self.model.get(*key, consistent_read=True))
        except self.model.DoesNotExist:
            return None
        except STORE_ERRORS as exc:
            raise self._failed(exc) from exc

    def create(self, record: R) -> R | None:
        """Write the first record for its key; None when the key already has one (the claim is lost)."""
        item = self.to_item(record)
        try:
            item.save(condition=self.model._hash_key_attribute().does_not_exist())
        except STORE_ERRORS as exc:
            if condition_failed(exc):
                return None
            raise self._failed(exc) from exc
        return self.to_record(item)

    def replace(self, record: R, expected: R) -> R | None:
        """Overwrite the record if it is still exactly `expected` (status, updated_at, version); else None."""
        item = self.to_item(record, version=expected.version)  # save() adds "version = expected", writes + 1
        model: Any = self.model
        condition = (model.status == expected.status.value) & (model.updated_at == expected.updated_at)
        try:
            item.save(condition=condition)
        except STORE_ERRORS as exc:
            if condition_failed(exc):
                return None
            raise self._failed(exc) from exc
        return self.to_record(item)
