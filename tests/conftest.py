"""Shared fixtures. Events come from events/*.json; tables come from the same models CDK deploys."""

from __future__ import annotations

import copy
import gc
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
EVENTS = REPO / "events"
DEMO_PROFILES = REPO / "demo" / "profiles.csv"


def load_event(name: str) -> dict[str, Any]:
    """A fresh copy of events/<name>.json."""
    return copy.deepcopy(json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8")))


def pytest_configure(config: pytest.Config) -> None:
    """Fewer garbage collections. The suite keeps many objects alive (moto backends, botocore service models,
    handler modules), and with CPython's default thresholds (700, 10, 10) a full collection walked them every
    few tests: about 30% of the suite's CPU. Collection stays on, only less often; a test about what is freed
    calls gc.collect() itself (tests/integration/test_moto_instances.py)."""
    gc.set_threshold(100_000, 20, 50)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`make test` runs two workers with --dist loadgroup), every test that synthesizes the
    CDK app goes to the same worker, so the app is synthesized once (a session fixture) while the other worker
    runs the rest; modules with an expensive shared fixture name their own group (`xdist_group`), and a module
    whose tests use a module-scoped fixture and name no group gets one of its own ("module-<name>"), so that
    fixture is built by one worker, not by both.

    The group is told to xdist's scheduler as a "@<group>" suffix of the test id. pytest-xdist 3.8 writes that
    suffix into `item._nodeid`, which pytest 9 no longer reads (the id is `item._id`), so without this every
    group was silently ignored: tests were spread over both workers, the CDK app and the Lambda asset were
    built by both at once. Here the suffix is written where pytest 9 keeps the id."""
    for item in items:
        if item.get_closest_marker("infra"):
            item.add_marker(pytest.mark.xdist_group("cdk-synth"))
        elif not item.get_closest_marker("xdist_group") and _uses_a_module_fixture(item):
            # A module fixture is built once per worker that runs one of the module's tests: keep the module on
            # one worker, or a simulated day (tests/integration/test_day_lake_tables.py) is run by both.
            item.add_marker(pytest.mark.xdist_group(f"module-{item.path.stem}"))
    if not getattr(config.option, "loadgroup", False):
        return  # not an xdist worker with --dist loadgroup
    from _pytest.nodeid import NodeId

    for item in items:
        groups = sorted({str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                         for mark in item.iter_markers("xdist_group")})
        if groups and not item.nodeid.endswith("@" + "_".join(groups)):
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(groups)}")  # type: ignore[attr-defined]


def _uses_a_module_fixture(item: pytest.Item) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    return any(definitions[-1].scope == "module" for definitions in info.name2fixturedefs.values() if definitions)


@pytest.fixture(autouse=True)
def simulated_pacing() -> Iterator[Any]:
    """Connect pacing (functions/common/pacing.py) on a simulated clock: no test sleeps for a token."""
    from functions.common.pacing import SimulatedClock, restore_time_source, use_time_source

    clock = SimulatedClock()
    previous = use_time_source(clock.now, clock.sleep)
    yield clock
    restore_time_source(previous)


@pytest.fixture
def backend() -> Iterator[Any]:
    """The embedded local backend (moto), empty tables, functions configured as deployed."""
    from callcenter.backend import LocalBackend

    with LocalBackend(log_level="INFO") as local:
        yield local


@pytest.fixture
def demo_backend(backend: Any) -> Any:
    """The local backend with the demo profiles loaded."""
    from functions.profiles.importer import import_profile_file

    backend.load_profiles(import_profile_file(DEMO_PROFILES).accepted)
    return backend
