"""functions/deferred_packages.py: a deferred package's `__init__` runs only when one of its own names is used,
and a package used through its `__init__` works exactly as before. Each case runs in a fresh interpreter, since
the test process has long imported these packages."""

from __future__ import annotations

import json
import subprocess
import sys

from functions.deferred_packages import DEFERRED, KNOWN_EXPORTS
from tests.conftest import REPO


def _run(code: str) -> object:
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False,
                          env={"PATH": "", "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_TRACE_DISABLED": "true"})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_no_handler_import_runs_a_deferred_packages_init() -> None:
    initialised = _run("""
import importlib, json
from functions.deferred_packages import DEFERRED, is_initialised
from functions.manifest import FUNCTIONS
for spec in FUNCTIONS.values():
    importlib.import_module(spec.handler.rpartition(".")[0])
print(json.dumps(sorted(name for name in DEFERRED if is_initialised(name))))
""")
    assert initialised == []


def test_the_known_exports_are_the_objects_the_packages_init_exports() -> None:
    # Without `functions`: the packages imported the ordinary way, then each name looked up in its submodule.
    mismatches = _run(f"""
import importlib, json
known = {KNOWN_EXPORTS!r}
wrong = []
for package, names in known.items():
    module = importlib.import_module(package)
    for name, submodule in names.items():
        if getattr(module, name) is not getattr(importlib.import_module(package + "." + submodule), name):
            wrong.append(package + "." + name)
print(json.dumps(wrong))
""")
    assert mismatches == []


def test_a_package_used_through_its_init_works_as_before_once_asked() -> None:
    result = _run("""
import json
import functions
from functions.deferred_packages import is_initialised
import phonenumbers
before = is_initialised("phonenumbers")
formatter = phonenumbers.AsYouTypeFormatter("US")           # a name only the package's __init__ provides
typed = [formatter.input_digit(d) for d in "2125550175"][-1]
from phonenumbers import parse, format_number, PhoneNumberFormat
e164 = format_number(parse("(212) 555-0175", "US"), PhoneNumberFormat.E164)
try:
    phonenumbers.no_such_name
    missing = "found"
except AttributeError:
    missing = "AttributeError"
import asyncio
ran = asyncio.run(asyncio.sleep(0, result="ran"))
print(json.dumps([before, is_initialised("phonenumbers"), typed, e164, missing, ran,
                  sorted(phonenumbers.__all__) == sorted(set(phonenumbers.__all__))]))
""")
    assert result == [False, True, "(212) 555-0175", "+12125550175", "AttributeError", "ran", True]


def test_a_submodule_and_a_known_export_need_no_init() -> None:
    result = _run("""
import json
import functions
from functions.deferred_packages import is_initialised
from aws_lambda_powertools.event_handler import content_types            # a submodule
from aws_lambda_powertools.utilities.data_classes import SQSRecord, S3Event  # known exports
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord as defined
print(json.dumps([content_types.APPLICATION_JSON, SQSRecord is defined, S3Event.__name__,
                  is_initialised("aws_lambda_powertools.event_handler"),
                  is_initialised("aws_lambda_powertools.utilities.data_classes")]))
""")
    assert result == ["application/json", True, "S3Event", False, False]


def test_every_deferred_package_is_installed() -> None:
    # A package renamed or dropped by an upgrade would silently stop being deferred.
    found = _run(f"""
import importlib.util, json
print(json.dumps([importlib.util.find_spec(name) is not None for name in {list(DEFERRED)!r}]))
""")
    assert found == [True] * len(DEFERRED)


def test_threads_asking_at_once_all_get_the_initialised_package() -> None:
    result = _run("""
import json, threading
import functions
import phonenumbers
barrier = threading.Barrier(8)
got = []
def ask():
    barrier.wait()
    got.append(phonenumbers.AsYouTypeFormatter.__name__)
threads = [threading.Thread(target=ask) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps(got))
""")
    assert result == ["AsYouTypeFormatter"] * 8


def test_importing_functions_imports_none_of_them_and_a_deferred_package_keeps_its_own_loader() -> None:
    result = _run("""
import json, sys
import functions
before = sorted(name for name in ("asyncio", "phonenumbers", "aws_lambda_powertools") if name in sys.modules)
import phonenumbers.phonenumberutil
print(json.dumps([before, type(sys.modules["phonenumbers"].__spec__.loader).__name__,
                  sys.modules["phonenumbers"].__loader__ is sys.modules["phonenumbers"].__spec__.loader]))
""")
    assert result == [[], "SourceFileLoader", True]
