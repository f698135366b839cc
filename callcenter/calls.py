"""Placing one simulated call: the deployed flow file, run by the simulator against the local backend."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from callcenter.backend import INSTANCE_ARN, LocalBackend, local_arn
from callcenter.connect_emulator import ContactAttributes
from flowlang.flow import flow_files, load_flow, substitute
from flowlang.prompts import localize
from flowlang.simulator import CallResult, ContactStart, FlowCoverage, run_flow

MAIN_LINE = "+18005550100"
INBOUND_FLOW = "inbound"
VALID_KEYS = frozenset("0123456789*#")


class KeyPressError(ValueError):
    pass


@lru_cache(maxsize=8)
def _local_flow(name: str) -> dict[str, Any]:
    return substitute(localize(load_flow(flow_files()[name])), local_arn)


def local_flow(name: str = INBOUND_FLOW) -> dict[str, Any]:
    """The flow file exactly as CDK deploys it (prompts from the catalogs), with local ARNs in place of the
    other placeholders."""
    return _local_flow(name)


#: The most keys one entry may hold (a PIN typed at a prompt that stores what it reads).
MAX_ENTRY_KEYS = 32


def check_keys(keys: Sequence[str | None]) -> list[str | None]:
    """Each entry is what the caller types at one prompt: one DTMF key (0-9, * or #) at a menu, several at a
    prompt that stores the input (a PIN: "2468"), or None for silence."""
    checked: list[str | None] = []
    for key in keys:
        if key is None or key.lower() in ("", "none", "silence"):
            checked.append(None)
        elif len(key) <= MAX_ENTRY_KEYS and all(k in VALID_KEYS for k in key):
            checked.append(key)
        else:
            raise KeyPressError(f"{key!r} is not phone keys: use 0-9, * or # (up to {MAX_ENTRY_KEYS} at a prompt "
                                "that reads several, like a PIN), or 'silence'")
    return checked


@dataclass(frozen=True)
class CallRequest:
    caller: str | None  # None: number withheld (CustomerEndpoint null)
    at: datetime
    dialed: str = MAIN_LINE
    keys: tuple[str | None, ...] = ()
    channel: str = "VOICE"
    initiation_method: str = "INBOUND"
    contact_id: str | None = None


def run_flow_at(backend: LocalBackend, flow: dict[str, Any], start: ContactStart, keys: list[str | None],
                flow_name: str, coverage: FlowCoverage | None = None) -> CallResult:
    """Run a flow with the functions' clock pinned to the contact's moment; Connect keeps its attributes."""
    backend.now = start.now
    try:
        result = run_flow(flow, start, backend, keys, flow_name=flow_name, coverage=coverage)
    finally:
        backend.now = None
    backend.connect.contact_attributes[start.contact_id] = ContactAttributes(result.attributes)
    return result


def place_call(backend: LocalBackend, request: CallRequest, coverage: FlowCoverage | None = None,
               flow_name: str = INBOUND_FLOW) -> CallResult:
    start = ContactStart(
        contact_id=request.contact_id or str(uuid.uuid4()),
        channel=request.channel,
        initiation_method=request.initiation_method,
        customer_address=request.caller,
        system_address=request.dialed,
        instance_arn=INSTANCE_ARN,
        now=request.at,
    )
    return run_flow_at(backend, local_flow(flow_name), start, check_keys(request.keys), flow_name, coverage)
