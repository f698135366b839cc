"""Build the Lambda asset directory (.build/lambda/) locally, without docker.

    python -m infra.bundling

The runtime is declared once in infra/runtime.py (python3.11, arm64); this module builds for it and
refuses to run under any other CPython minor version, because it compiles the bytecode Lambda will load.

1. Third-party dependencies: `[project].dependencies` of pyproject.toml (exact pins), minus what the
   Lambda Python runtime already provides (boto3 and its dependency closure, RUNTIME_PROVIDED), resolved
   and installed by pip for the deployed platform (binary wheels only). Transitive versions are held to
   requirements.lock, so the deployed code runs what the tests ran. Then:
   - files Lambda never reads are removed (UNNEEDED, each with its reason), and each package's RECORD is
     rewritten to list only the files that remain;
   - every module is compiled to bytecode in place of its source (`module.pyc` beside where `module.py`
     was; sources dropped to keep the asset within its size budget), with code locations pointing at
     /var/task so tracebacks name the deployed file and line.
   This step is cached: it is skipped while a stamp file holds the same hash of (dependencies, lock,
   platform, Python version, what is removed, how it is compiled).
2. Our code: the `functions/` package (.py and .json files), refreshed on every build, compiled to
   `__pycache__/<module>.cpython-311.pyc` beside its sources (kept: tracebacks from our code show the line),
   except the modules no Lambda runs (LOCAL_ONLY_CODE, each with its reason): the customer CSV importer, the
   one module built on pydantic, so neither pydantic nor email-validator is a Lambda dependency.

Bytecode is compiled with `invalidation_mode=UNCHECKED_HASH`: Lambda's /var/task is read-only and the asset's
file times change on every zip and unzip, so a timestamp-checked .pyc would be found stale and the module
compiled from source on every cold start, with nowhere to keep the result. An unchecked .pyc is used as is;
the build recompiles every module whose source it copies, so they cannot disagree.
"""

from __future__ import annotations

import compileall
import hashlib
import json
import os
import py_compile
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from infra import runtime

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = REPO / "pyproject.toml"
LOCK = REPO / "requirements.lock"
ASSET_DIR = REPO / ".build" / "lambda"
CODE_PACKAGES = ("functions",)
CODE_SUFFIXES = (".py", ".json")
LAMBDA_TASK_ROOT = "/var/task"  # where Lambda unpacks the asset; compiled code locations point there

# Shipped by the Lambda Python runtime (boto3 and the packages it depends on, in its own directory on
# sys.path); bundling them would add ~27 MB and shadow the runtime's copies. Checked against boto3's
# dependency closure by tests/infra/test_bundling.py.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "urllib3", "six"})
# Top-level import names of RUNTIME_PROVIDED (python-dateutil installs `dateutil`).
RUNTIME_PROVIDED_MODULES = frozenset({"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six"})


@dataclass(frozen=True)
class Unneeded:
    """Files of the installed dependencies that Lambda never reads (glob patterns under the asset)."""

    patterns: tuple[str, ...]
    reason: str


UNNEEDED: tuple[Unneeded, ...] = (
    Unneeded(("phonenumbers/geodata", "phonenumbers/carrierdata", "phonenumbers/geocoder.py",
              "phonenumbers/carrier.py"),
             "phonenumbers' place names and carrier names by number prefix (21 MB): our functions parse, "
             "format and look up time zones only (phonenumbers.timezone and its tzdata stay); "
             "tests/infra/test_bundling.py checks that nothing in functions/ imports geocoder or carrier"),
    Unneeded(("**/*.pyi", "**/py.typed", "*-stubs"), "type information, read by type checkers only"),
    Unneeded(("**/*.c", "**/*.h"), "C sources of extension modules that are shipped compiled"),
    Unneeded(("bin",), "console scripts: Lambda runs no commands from the asset"),
    Unneeded(("aws_lambda_powertools/event_handler/openapi/swagger_ui/*.js",
              "aws_lambda_powertools/event_handler/openapi/swagger_ui/*.css"),
             "the Swagger UI page, served only after `enable_swagger()`, which no function calls (checked by "
             "tests/infra/test_bundling.py); the OpenAPI document itself is committed (docs/)"),
)


# Modules of functions/ that no Lambda runs, left out of the asset (paths under the repository); the dependencies
# only they need are pyproject.toml's dev dependencies, not the Lambda's. tests/infra/test_bundling.py checks that
# no handler of functions/manifest.py imports them.
LOCAL_ONLY_CODE: dict[str, str] = {
    "functions/profiles/importer.py":
        "the customer CSV importer (pydantic models, email-validator): run by the CLI (callcenter/cli/common.py), "
        "the benchmarks and the tests on the local backend, never by a Lambda; the tickets API, pydantic's last "
        "other user, validates with msgspec (functions/tickets/api_contract.py)",
}


# How the dependencies are compiled: sourceless (-b), unchecked hash-based .pyc, no column tables.
DEPENDENCY_COMPILE = ("-X", "no_debug_ranges", "-m", "compileall", "-q", "-b", "--invalidation-mode", "unchecked-hash")


class BundlingError(RuntimeError):
    """The Lambda asset could not be built; the message says which step failed and why."""


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    match = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if not match:
        raise BundlingError(f"cannot read a package name from dependency {requirement!r}")
    return _normalize(match.group(1))


def lambda_dependencies(pyproject: Path = PYPROJECT) -> list[str]:
    """The runtime dependencies to bundle: pyproject's list without what the Lambda runtime provides."""
    with pyproject.open("rb") as handle:
        dependencies = tomllib.load(handle)["project"]["dependencies"]
    return [d for d in dependencies if _requirement_name(d) not in RUNTIME_PROVIDED]


def dependencies_hash(dependencies: Iterable[str], pip_platform: str = runtime.PIP_PLATFORM,
                      lock: Path = LOCK) -> str:
    digest = hashlib.sha256()
    unneeded = [pattern for rule in UNNEEDED for pattern in rule.patterns]
    for part in (*sorted(dependencies), pip_platform, runtime.IMPLEMENTATION, runtime.PYTHON_VERSION,
                 LAMBDA_TASK_ROOT, *DEPENDENCY_COMPILE, *unneeded, *sorted(RUNTIME_PROVIDED)):
        digest.update(part.encode() + b"\0")
    digest.update(lock.read_bytes() if lock.exists() else b"")
    return digest.hexdigest()


def _require_declared_interpreter() -> None:
    if not runtime.interpreter_matches():
        raise BundlingError(
            f"the Lambda runtime is python{runtime.PYTHON_VERSION} (infra/runtime.py) but this is "
            f"{sys.implementation.name} {runtime.interpreter_version()}: bytecode is specific to the CPython "
            f"minor version, so build the asset with CPython {runtime.PYTHON_VERSION} or change the declaration"
        )


def _pip(pip_platform: str, *arguments: str) -> None:
    command = [
        sys.executable, "-m", "pip", *arguments,
        "--disable-pip-version-check", "--quiet",
        "--platform", pip_platform, "--implementation", runtime.IMPLEMENTATION,
        "--python-version", runtime.PYTHON_VERSION, "--only-binary=:all:",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        output = (result.stderr.strip() or result.stdout.strip()).splitlines()
        raise BundlingError(
            f"pip failed (exit {result.returncode}) building the Lambda dependencies for "
            f"{pip_platform} / CPython {runtime.PYTHON_VERSION} (are binary wheels published for it?)\n"
            f"  command: {' '.join(command)}\n  pip said:\n    " + "\n    ".join(output[-12:])
        )


def _resolve(dependencies: list[str], pip_platform: str) -> list[str]:
    """Exact `name==version` pins of the whole dependency closure for the Lambda platform."""
    constraints = ("--constraint", str(LOCK)) if LOCK.exists() else ()
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        _pip(pip_platform, "install", "--dry-run", "--ignore-installed", "--target", scratch,
             "--report", str(report), *constraints, *dependencies)
        resolved = json.loads(report.read_text(encoding="utf-8"))["install"]
    return sorted(
        f"{item['metadata']['name']}=={item['metadata']['version']}"
        for item in resolved
        if _normalize(item["metadata"]["name"]) not in RUNTIME_PROVIDED
    )


def _install_dependencies(target: Path, dependencies: list[str], pip_platform: str) -> None:
    pins = _resolve(dependencies, pip_platform)
    _pip(pip_platform, "install", "--no-deps", "--no-compile", "--target", str(target), *pins)


def _remove_unneeded(asset: Path) -> None:
    for rule in UNNEEDED:
        for pattern in rule.patterns:
            for path in sorted(asset.glob(pattern), reverse=True):
                if path.is_dir():
                    shutil.rmtree(path)
                elif path.exists():
                    path.unlink()


def _compile_dependencies(asset: Path) -> None:
    """Compile every third-party module to `module.pyc` in place of its source, then drop the source.

    Compiled in a child interpreter with `-X no_debug_ranges`: without their sources these frames cannot
    show column carets anyway, and the column tables would make the bytecode ~8% larger.
    """
    command = [sys.executable, *DEPENDENCY_COMPILE, "-s", str(asset), "-p", LAMBDA_TASK_ROOT, str(asset)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BundlingError(f"compiling the dependencies failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    for source in asset.rglob("*.py"):
        if source.with_suffix(".pyc").is_file():
            source.unlink()


def _rewrite_records(asset: Path) -> None:
    """Each installed package's RECORD lists exactly the files it has in the asset (its .pyc included)."""
    for record in asset.glob("*.dist-info/RECORD"):
        rows = []
        for line in record.read_text(encoding="utf-8").splitlines():
            path = line.split(",", 1)[0]
            if path.endswith(".py") and (asset / path).with_suffix(".pyc").is_file():
                rows.append(f"{path[:-3]}.pyc,,")  # compiled here: no hash from the wheel to carry over
            elif (asset / path).exists() or path.endswith("RECORD"):
                rows.append(line)
        record.write_text("\n".join(rows) + "\n", encoding="utf-8")


def _copy_code(asset: Path) -> None:
    for package in CODE_PACKAGES:
        destination = asset / package
        shutil.rmtree(destination, ignore_errors=True)
        for source in sorted((REPO / package).rglob("*")):
            if source.suffix not in CODE_SUFFIXES or "__pycache__" in source.parts or not source.is_file():
                continue
            if source.relative_to(REPO).as_posix() in LOCAL_ONLY_CODE:
                continue
            copy = destination / source.relative_to(REPO / package)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy)
        compiled = compileall.compile_dir(
            destination, quiet=1, stripdir=str(asset), prependdir=LAMBDA_TASK_ROOT,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
        if not compiled:
            raise BundlingError(f"compiling {package}/ failed (see the errors above)")


def build_lambda_asset(asset: Path = ASSET_DIR, *, pip_platform: str = runtime.PIP_PLATFORM,
                       verbose: bool = False) -> Path:
    """Build (or refresh) the Lambda asset directory for `pip_platform` and return its path.

    The deployed asset is built for runtime.PIP_PLATFORM; benchmarks/cold_start_benchmark.py builds a twin
    for this machine's platform (same pins, same removals, same bytecode) that the local interpreter can
    import, since the deployed one's native extensions are arm64.
    """
    _require_declared_interpreter()
    dependencies = lambda_dependencies()
    wanted = dependencies_hash(dependencies, pip_platform)
    stamp = asset.parent / f"{asset.name}.deps.sha256"
    current = stamp.read_text(encoding="utf-8").strip() if stamp.exists() else None
    if current != wanted or not asset.is_dir():
        if verbose:
            print(f"bundling: installing {len(dependencies)} dependencies for {pip_platform} "
                  f"CPython {runtime.PYTHON_VERSION} into {asset}")
        stamp.unlink(missing_ok=True)
        shutil.rmtree(asset, ignore_errors=True)
        asset.mkdir(parents=True)
        _install_dependencies(asset, dependencies, pip_platform)
        _remove_unneeded(asset)
        _compile_dependencies(asset)
        _rewrite_records(asset)
        stamp.write_text(wanted + "\n", encoding="utf-8")
    elif verbose:
        print(f"bundling: dependencies unchanged ({wanted[:12]}), refreshing code only")
    _copy_code(asset)
    return asset


@dataclass(frozen=True)
class AssetSize:
    megabytes: float  # unzipped, 10^6 bytes
    files: int


def asset_size(asset: Path = ASSET_DIR) -> AssetSize:
    sizes = [path.stat().st_size for path in asset.rglob("*") if path.is_file()]
    return AssetSize(sum(sizes) / 1e6, len(sizes))


def main() -> int:
    try:
        path = build_lambda_asset(verbose=True)
    except BundlingError as exc:
        print(f"bundling failed: {exc}", file=sys.stderr)
        return 1
    size = asset_size(path)
    print(f"bundling: Lambda asset ready at {os.path.relpath(path, REPO)} for {runtime.RUNTIME_NAME} "
          f"{runtime.ARCHITECTURE}: {size.megabytes:.1f} MB unzipped, {size.files} files")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
