"""pytest plugin for benchmarks/suite_benchmark.py: each test's CPU seconds as a junit XML property.

Loaded with `-p suite_cpu` (benchmarks/ on PYTHONPATH); under pytest-xdist every worker loads it. A test's CPU is
its worker's process time from the start of its setup to the end of its teardown (module and session fixtures
count where they are built or torn down), plus the CPU of the child processes the test waited for (a CLI in a
subprocess, the desktop server, chromium). Unlike a duration, it does not grow when the machine is busy. The
xdist worker that ran the test is recorded too.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Iterator
from typing import Any

import pytest

CPU_PROPERTY = "cpu_s"
WORKER_PROPERTY = "worker"


def _cpu() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    item.stash[_START] = _cpu()
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    if call.when == "teardown" and _START in item.stash:
        item.user_properties.append((CPU_PROPERTY, round(_cpu() - item.stash[_START], 4)))
        item.user_properties.append((WORKER_PROPERTY, os.environ.get("PYTEST_XDIST_WORKER", "main")))
    yield


_START = pytest.StashKey[float]()
