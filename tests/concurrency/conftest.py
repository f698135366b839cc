"""A DynamoDB that serializes requests as DynamoDB does, in a process of its own (serial_moto.py), with the
product's tables created from the same models CDK deploys, and every model and boto3 client pointed at it."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from functions.common.aws import reset_clients
from functions.storage.tables import reset_data_access

REPO = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 30
SERIAL_READ_TIMEOUT_S = 30.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_it_answers(endpoint: str, server: subprocess.Popen[bytes]) -> None:
    client = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="local",
                          aws_secret_access_key="local")
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"the serial moto server exited with {server.returncode}")
        try:
            client.list_tables()
            return
        except Exception:  # not listening yet
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture(scope="session")
def serial_endpoint() -> Iterator[str]:
    """The endpoint of a moto server that handles one request at a time (started here, killed after)."""
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "tests.concurrency.serial_moto", str(port)], cwd=REPO,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait_until_it_answers(endpoint, server)
        yield endpoint
    finally:
        server.kill()
        server.wait(timeout=10)


TABLE_PREFIX = f"t{uuid.uuid4().hex[:8]}"


def _point_models_at(endpoint: str | None, names: dict[type, str | None]) -> None:
    from functions.tables import TABLES

    for spec in TABLES.values():
        spec.model.Meta.host = endpoint
        if names.get(spec.model):
            spec.model.Meta.table_name = names[spec.model]
        spec.model._connection = None


@pytest.fixture(scope="session")
def serial_tables(serial_endpoint: str) -> Iterator[dict[str, str]]:
    """Every table of the catalog, created once on the serial server from the models CDK deploys:
    env var -> table name. Tests keep apart by their keys (fresh ticket ids, contact ids)."""
    from functions.tables import TABLES

    saved = {spec.model: (spec.model.Meta.host, spec.model.Meta.table_name) for spec in TABLES.values()}
    names = {spec.env_var: f"{TABLE_PREFIX}-{spec.logical_name}" for spec in TABLES.values()}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
                           "AWS_DEFAULT_REGION": "us-east-1"}.items():
            patch.setenv(key, value)
        _point_models_at(serial_endpoint, {spec.model: names[spec.env_var] for spec in TABLES.values()})
        for spec in TABLES.values():
            spec.model.create_table(billing_mode="PAY_PER_REQUEST", wait=False)
    for model, (host, table_name) in saved.items():
        model.Meta.host, model.Meta.table_name = host, table_name
        model._connection = None
    yield names


@pytest.fixture
def serial_dynamodb(serial_endpoint: str, serial_tables: dict[str, str],
                    monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The serial server's tables for this test: PynamoDB models (Meta.host) and our boto3 clients
    (AWS_ENDPOINT_URL_DYNAMODB) use them; the models' endpoints and names are restored afterwards.

    The models' read timeout is 30 s here, whatever an earlier test in this worker bound them to: these tests are
    about what conditions and versions decide when writes race, and with a handler's 0.5 s a loaded machine made
    a write the server applied look failed to its writer (a timeout, not a refusal): `make test` failed now and
    then."""
    from functions.tables import TABLES

    for key, value in {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_SESSION_TOKEN": "local",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
                       "AWS_ENDPOINT_URL_DYNAMODB": serial_endpoint,
                       "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_NAMESPACE": "CallCenter",
                       **serial_tables}.items():
        monkeypatch.setenv(key, value)
    saved = {spec.model: (spec.model.Meta.host, spec.model.Meta.table_name) for spec in TABLES.values()}
    timeouts = {spec.model: spec.model.Meta.read_timeout_seconds for spec in TABLES.values()}
    _point_models_at(serial_endpoint, {spec.model: serial_tables[spec.env_var] for spec in TABLES.values()})
    for spec in TABLES.values():
        spec.model.Meta.read_timeout_seconds = SERIAL_READ_TIMEOUT_S
    reset_data_access()
    reset_clients()
    yield serial_endpoint
    for model, (host, table_name) in saved.items():
        model.Meta.host, model.Meta.table_name = host, table_name
        model.Meta.read_timeout_seconds = timeouts[model]
        model._connection = None
    reset_data_access()
    reset_clients()
