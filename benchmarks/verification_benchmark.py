"""Caller-verification benchmark: the PIN check's time (scrypt) and DynamoDB requests per verification.

Run with `make bench`. Prints figures beside the goal; asserts nothing. The handler runs on the local backend
(moto in-process, which adds its own cost to every DynamoDB request). The goal: a verification well inside the
function's timeout (the flow waits one second longer), whatever the result.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

AT = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
ROUNDS = 15


def main() -> None:
    from callcenter.backend import DynamoDBTraffic, LocalBackend, function_arn
    from functions.manifest import FUNCTIONS
    from functions.profiles.importer import import_profile_file
    from functions.profiles.pin import hash_pin, pin_matches
    from functions.profiles.store import set_pin

    spec = FUNCTIONS["caller-verification"]
    stored = hash_pin("2468")
    hashing = [_timed(hash_pin, "2468") for _ in range(ROUNDS)]
    matching = [_timed(pin_matches, "2468", stored) for _ in range(ROUNDS)]
    print("Caller-verification benchmark")
    print(f"  scrypt hash of a PIN (set or reset)     median {statistics.median(hashing):7.1f} ms"
          f"  max {max(hashing):7.1f} ms")
    print(f"  scrypt check of a PIN                   median {statistics.median(matching):7.1f} ms"
          f"  max {max(matching):7.1f} ms")
    profiles = import_profile_file(REPO / "demo" / "profiles.csv").accepted
    with LocalBackend(log_level="ERROR") as backend:
        backend.load_profiles(profiles)
        backend.now = AT
        set_pin("cust-edsger", stored, AT)
        print(f"  {'handler, by result':<28}{'mean ms':>10}{'max ms':>10}{'DDB/verification':>18}"
              f"   (goal: under the {spec.timeout_seconds} s timeout)")
        for label, customer, pin in (("right PIN", "cust-edsger", "2468"), ("wrong PIN", "cust-edsger", "1357"),
                                     ("no PIN on file", "cust-ada", "2468"), ("no customer", "", "2468")):
            times, requests = [], []
            for _ in range(ROUNDS if label != "wrong PIN" else 4):  # stay under the lock
                event = {"Details": {"ContactData": {"ContactId": "bench"},
                                     "Parameters": {"customer_id": customer, "pin": pin}}}
                before = DynamoDBTraffic.total_calls()
                started = time.perf_counter()
                backend.invoke_lambda(function_arn(spec.name), event, spec.timeout_seconds + 1)
                times.append((time.perf_counter() - started) * 1000)
                requests.append(DynamoDBTraffic.total_calls() - before)
            print(f"  {label:<28}{statistics.fmean(times):10.1f}{max(times):10.1f}{statistics.fmean(requests):18.2f}")


def _timed(function, *args) -> float:
    started = time.perf_counter()
    function(*args)
    return (time.perf_counter() - started) * 1000


if __name__ == "__main__":
    main()
