"""Ticket API benchmark: handler time per request and DynamoDB requests per call, for each route.

Run with `.venv/bin/python benchmarks/tickets_benchmark.py`. Prints figures; asserts nothing.

- Import (cold start): median (min) over fresh interpreter processes of importing the handler module
  (Powertools resolver, pydantic models, PynamoDB), beside a bare `import boto3`.
- Warm handler: each route called through the deployed handler on the local backend
  (`LocalBackend.invoke_lambda`, moto DynamoDB in-process, which adds its own cost: read the figures
  as relative, not as Lambda latency), after a warm-up, with sample events from events/tickets/.
  Writes are real and valid: every change carries the version the previous answer returned, spread
  over a pool of tickets so no ticket nears its history limit. Each route runs on a fresh backend with
  the same pool, because moto's own TransactWriteItems deep-copies whole tables (a growing table slows
  every later write; the local backend now backs up only the touched items: callcenter/moto_transactions.py);
  "excl. DDB" is the handler's own time, without the time spent in DynamoDB calls.
- DynamoDB requests per call, counted at botocore's event layer (DynamoDBTraffic), by operation.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

RUNS = 5
WARMUP = 10
REQUESTS = 100
POOL = 30  # tickets the changes are spread over (each gets about REQUESTS / POOL changes per route)
CUSTOMERS = 50
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def _fresh_process_ms(statement: str) -> float:
    code = (
        "import os, time\n"
        "os.environ.update(AWS_DEFAULT_REGION='us-east-1', POWERTOOLS_TRACE_DISABLED='true', "
        "POWERTOOLS_LOG_LEVEL='ERROR')\n"
        "t = time.perf_counter()\n"
        f"{statement}\n"
        "print(time.perf_counter() - t)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1]) * 1000


def cold_start() -> None:
    print(f"\nCold start: median (min) of {RUNS} fresh processes")
    for label, statement in (("import boto3 (baseline)", "import boto3"),
                             ("import functions.tickets.api_handler", "import functions.tickets.api_handler")):
        samples = [_fresh_process_ms(statement) for _ in range(RUNS)]
        print(f"  {label:<40}{statistics.median(samples):>8.1f} ms  ({min(samples):.1f})")


class DynamoDBClock:
    """Time spent inside DynamoDB calls (moto, here), from botocore's before-call/after-call events, so the
    handler's own cost (resolver, validation, models, serialization) can be shown apart from moto's."""

    spent_ms = 0.0
    _started = 0.0

    @classmethod
    def install(cls) -> None:
        import botocore.handlers

        botocore.handlers.BUILTIN_HANDLERS.append(("before-call.dynamodb", cls._before))
        botocore.handlers.BUILTIN_HANDLERS.append(("after-call.dynamodb", cls._after))

    @classmethod
    def _before(cls, **_: Any) -> None:
        cls._started = time.perf_counter()

    @classmethod
    def _after(cls, **_: Any) -> None:
        cls.spent_ms += (time.perf_counter() - cls._started) * 1000


class Client:
    """Builds events like the samples and calls the handler through the local backend."""

    def __init__(self, backend: Any) -> None:
        from callcenter.backend import function_arn
        from tests.conftest import load_event

        self.backend = backend
        self.arn = function_arn("ticket-api")
        self.agent_template = load_event("tickets/api_get_ticket")
        self.service_template = load_event("tickets/api_service_create_ticket")
        self.load_event = load_event

    def event(self, method: str, resource: str, body: Any = None, *, groups: str = "[team-billing team-support]",
              query: dict[str, str] | None = None, **params: str) -> dict[str, Any]:
        event = json.loads(json.dumps(self.agent_template))
        path = resource.format(**params)
        event.update(httpMethod=method, resource=resource, path=path, pathParameters=params or None,
                     queryStringParameters=query, body=None if body is None else json.dumps(body))
        event["requestContext"]["authorizer"]["claims"]["cognito:groups"] = groups
        return event

    def send(self, event: dict[str, Any]) -> tuple[int, Any]:
        response = self.backend.invoke_lambda(self.arn, event, 10)
        return response["statusCode"], json.loads(response["body"])


def _scenarios(client: Client, tickets: list[dict[str, Any]]) -> tuple[list[tuple[str, Callable[[int], dict], int]],
                                                                      dict[str, int]]:
    """(label, event for the i-th request, expected status). Stateful ones track the versions they get back."""
    versions = {t["ticket_id"]: t["version"] for t in tickets}
    state: dict[str, Any] = {"status": {t["ticket_id"]: "open" for t in tickets},
                             "team": {t["ticket_id"]: t["team"] for t in tickets},
                             "priority": {t["ticket_id"]: t["priority"] for t in tickets}}
    ids = [t["ticket_id"] for t in tickets]

    def pick(i: int) -> str:
        return ids[i % len(ids)]

    def create(i: int) -> dict:
        body = {"customer_id": f"cust-{i % CUSTOMERS:03d}", "subject": "Charged twice", "category": "billing",
                "team": "billing", "request_id": f"bench-{i}"}
        return client.event("POST", "/tickets", body)

    def create_again(i: int) -> dict:  # the warm-up creates these five; every measured request repeats one
        return client.event("POST", "/tickets", {**_pool_ticket(i % 5), "request_id": f"again-{i % 5}"})

    def status(i: int) -> dict:
        tid = pick(i)
        to = "waiting_on_customer" if state["status"][tid] == "in_progress" else "in_progress"
        state["status"][tid] = to
        return client.event("POST", "/tickets/{ticket_id}/status", {"status": to, "expected_version": versions[tid]},
                            ticket_id=tid)

    def assign(i: int) -> dict:
        tid = pick(i)
        return client.event("POST", "/tickets/{ticket_id}/assign",
                            {"agent": f"agent-{i}", "expected_version": versions[tid]}, ticket_id=tid)

    def priority(i: int) -> dict:
        tid = pick(i)
        to = 2 if state["priority"][tid] != 2 else 3
        state["priority"][tid] = to
        return client.event("POST", "/tickets/{ticket_id}/priority",
                            {"priority": to, "expected_version": versions[tid]}, ticket_id=tid)

    def escalate(i: int) -> dict:
        tid = pick(i)
        to = "support" if state["team"][tid] == "billing" else "billing"
        state["team"][tid] = to
        state["status"][tid] = "escalated"
        return client.event("POST", "/tickets/{ticket_id}/escalate",
                            {"team": to, "reason": "needs the other team", "expected_version": versions[tid]},
                            ticket_id=tid)

    def note(i: int) -> dict:
        return client.event("POST", "/tickets/{ticket_id}/notes", {"text": f"note {i}"}, ticket_id=pick(i))

    def stale(i: int) -> dict:
        tid = pick(i)  # a version the ticket is not at: refused after the read, nothing written
        return client.event("POST", "/tickets/{ticket_id}/assign",
                            {"agent": "late", "expected_version": versions[tid] + 1}, ticket_id=tid)

    def get(i: int) -> dict:
        return client.event("GET", "/tickets/{ticket_id}", ticket_id=pick(i))

    def customer(i: int) -> dict:
        return client.event("GET", "/customers/{customer_id}/tickets", customer_id=f"cust-{i % CUSTOMERS:03d}")

    def customer_all(i: int) -> dict:
        return client.event("GET", "/customers/{customer_id}/tickets", customer_id=f"cust-{i % CUSTOMERS:03d}",
                            query={"include_closed": "true"})

    def team(i: int) -> dict:
        return client.event("GET", "/teams/{team}/tickets", team="billing")

    def overdue(i: int) -> dict:
        return client.event("GET", "/tickets/overdue")

    def anonymous(i: int) -> dict:
        return client.load_event("tickets/api_no_identity")

    def malformed(i: int) -> dict:
        event = client.event("POST", "/tickets/{ticket_id}/status", None, ticket_id=pick(i))
        event["body"] = '{"status": "resolved", "expected_version": 1'
        return event

    return [
        ("GET /tickets/{id}", get, 200),
        ("GET /customers/{id}/tickets", customer, 200),
        ("  ?include_closed=true", customer_all, 200),
        ("GET /teams/{team}/tickets", team, 200),
        ("GET /tickets/overdue", overdue, 200),
        ("POST /tickets/{id}/status", status, 200),
        ("POST /tickets/{id}/assign", assign, 200),
        ("POST /tickets/{id}/priority", priority, 200),
        ("POST /tickets/{id}/escalate", escalate, 200),
        ("POST /tickets/{id}/notes", note, 200),
        ("wrong version -> 409", stale, 409),
        ("no identity -> 401", anonymous, 401),
        ("malformed JSON -> 400", malformed, 400),
        ("POST /tickets", create, 201),
        ("POST /tickets (same request_id)", create_again, 200),
    ], versions


def _pool_ticket(n: int) -> dict[str, Any]:
    return {"customer_id": f"cust-{n % CUSTOMERS:03d}", "subject": "Invoice copy", "category": "billing",
            "team": "billing", "priority": 1 + n % 4, "request_id": f"pool-{n}"}


def _pool(backend: Any, client: Client) -> list[dict[str, Any]]:
    from functions.profiles.profile import CustomerProfile
    from functions.profiles.store import save_profiles

    save_profiles([CustomerProfile(f"cust-{n:03d}", f"+1415555{n:04d}", f"Customer {n}") for n in range(CUSTOMERS)])
    backend.now = NOW - timedelta(hours=30)  # the pool is past its SLA by the time the routes run
    tickets = []
    for n in range(POOL):
        status, body = client.send(client.event("POST", "/tickets", _pool_ticket(n)))
        assert status == 201, body
        tickets.append(body)
    backend.now = NOW
    return tickets


def warm_routes() -> None:
    """Each route on a fresh backend holding the same small pool: moto's TransactWriteItems deep-copies the tables it
    touches (stream records included) for its rollback, so a table that grew during earlier routes would make later
    routes look slower than they are."""
    from callcenter.backend import DynamoDBTraffic, LocalBackend

    DynamoDBClock.install()
    with LocalBackend(log_level="ERROR") as backend:
        labels = [label for label, _, _ in _scenarios(Client(backend), [])[0]]
    print(f"\nWarm handler on the local backend ({REQUESTS} requests per route after {WARMUP} warm-up, "
          f"{POOL} tickets, {CUSTOMERS} customers; moto in-process):")
    print(f"  {'route':<34}{'mean ms':>9}{'p95 ms':>9}{'excl. DDB':>11}{'DDB req/call':>14}  by operation")
    for index, label in enumerate(labels):
        with LocalBackend(log_level="ERROR") as backend:
            client = Client(backend)
            tickets = _pool(backend, client)
            scenarios, versions = _scenarios(client, tickets)
            _, make, expected = scenarios[index]
            times: list[float] = []
            own: list[float] = []
            for i in range(WARMUP + REQUESTS):
                event = make(i)
                if i == WARMUP:
                    DynamoDBTraffic.reset()
                DynamoDBClock.spent_ms = 0.0
                started = time.perf_counter()
                status, body = client.send(event)
                elapsed = (time.perf_counter() - started) * 1000
                if status != expected and i >= WARMUP:
                    raise SystemExit(f"{label}: expected {expected}, got {status}: {body}")
                if isinstance(body, dict) and "version" in body and "ticket_id" in body:
                    versions[body["ticket_id"]] = body["version"]
                if i >= WARMUP:
                    times.append(elapsed)
                    own.append(elapsed - DynamoDBClock.spent_ms)
            per_call = DynamoDBTraffic.total_calls() / REQUESTS
            p95 = sorted(times)[int(0.95 * (len(times) - 1))]
            operations = ", ".join(f"{op} {n / REQUESTS:g}" for op, n in sorted(DynamoDBTraffic.calls.items()))
            print(f"  {label:<34}{statistics.fmean(times):>9.2f}{p95:>9.2f}{statistics.fmean(own):>11.2f}"
                  f"{per_call:>14.2f}  {operations or 'none'}", flush=True)

    with LocalBackend(log_level="ERROR") as backend:
        client = Client(backend)
        tickets = _pool(backend, client)
        DynamoDBTraffic.reset()
        backend.faults = {"ticket-api": "throttle"}
        started = time.perf_counter()
        status, _ = client.send(client.event("GET", "/tickets/{ticket_id}", ticket_id=tickets[0]["ticket_id"]))
        throttled_ms = (time.perf_counter() - started) * 1000
        backend.faults = {}
        print(f"  throttled table: GET answered {status} after {throttled_ms:.0f} ms, "
              f"{DynamoDBTraffic.attempts} attempt(s) of {DynamoDBTraffic.total_calls()} request(s)")


def main() -> None:
    print(f"Ticket API benchmark — Python {sys.version.split()[0]}")
    cold_start()
    warm_routes()


if __name__ == "__main__":
    main()
