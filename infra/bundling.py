"""Build the Lambda asset directory (.build/lambda/) locally, without docker.

    python -m infra.bundling

1. Third-party dependencies: `[project].dependencies` of pyproject.toml (exact pins), minus what the
   Lambda Python runtime already provides (boto3, botocore, s3transfer), resolved and installed by pip
   for the deployed platform (arm64, CPython 3.14, binary wheels only). Transitive versions are held to
   requirements.lock, so the deployed code runs what the tests ran. This step is cached: it is skipped
   while a stamp file holds the same hash of (dependencies, lock, platform, Python version).
2. Our code: the `functions/` package (.py and .json files), refreshed on every build.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = REPO / "pyproject.toml"
LOCK = REPO / "requirements.lock"
ASSET_DIR = REPO / ".build" / "lambda"
STAMP = REPO / ".build" / "lambda.deps.sha256"
CODE_PACKAGES = ("functions",)
CODE_SUFFIXES = (".py", ".json")

# Must match the function construct (infra/constructs/functions.py): arm64, python3.14.
PLATFORM = "manylinux2014_aarch64"
PYTHON_VERSION = "3.14"
IMPLEMENTATION = "cp"
# Shipped by the Lambda Python runtime; bundling them would only add ~25 MB.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer"})


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


def dependencies_hash(dependencies: Iterable[str], lock: Path = LOCK) -> str:
    digest = hashlib.sha256()
    for part in (*sorted(dependencies), PLATFORM, IMPLEMENTATION, PYTHON_VERSION):
        digest.update(part.encode() + b"\0")
    digest.update(lock.read_bytes() if lock.exists() else b"")
    return digest.hexdigest()


def _pip(*arguments: str) -> None:
    command = [
        sys.executable, "-m", "pip", *arguments,
        "--disable-pip-version-check", "--quiet",
        "--platform", PLATFORM, "--implementation", IMPLEMENTATION,
        "--python-version", PYTHON_VERSION, "--only-binary=:all:",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        output = (result.stderr.strip() or result.stdout.strip()).splitlines()
        raise BundlingError(
            f"pip failed (exit {result.returncode}) building the Lambda dependencies for "
            f"{PLATFORM} / CPython {PYTHON_VERSION} (are binary wheels published for it?)\n"
            f"  command: {' '.join(command)}\n  pip said:\n    " + "\n    ".join(output[-12:])
        )


def _resolve(dependencies: list[str]) -> list[str]:
    """Exact `name==version` pins of the whole dependency closure for the Lambda platform."""
    constraints = ("--constraint", str(LOCK)) if LOCK.exists() else ()
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        _pip("install", "--dry-run", "--ignore-installed", "--target", scratch,
             "--report", str(report), *constraints, *dependencies)
        resolved = json.loads(report.read_text(encoding="utf-8"))["install"]
    return sorted(
        f"{item['metadata']['name']}=={item['metadata']['version']}"
        for item in resolved
        if _normalize(item["metadata"]["name"]) not in RUNTIME_PROVIDED
    )


def _install_dependencies(target: Path, dependencies: list[str]) -> None:
    pins = _resolve(dependencies)
    _pip("install", "--no-deps", "--no-compile", "--target", str(target), *pins)


def _copy_code(asset: Path) -> None:
    for package in CODE_PACKAGES:
        destination = asset / package
        shutil.rmtree(destination, ignore_errors=True)
        for source in sorted((REPO / package).rglob("*")):
            if source.suffix not in CODE_SUFFIXES or "__pycache__" in source.parts or not source.is_file():
                continue
            copy = destination / source.relative_to(REPO / package)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy)


def build_lambda_asset(asset: Path = ASSET_DIR, *, verbose: bool = False) -> Path:
    """Build (or refresh) the Lambda asset directory and return its path."""
    dependencies = lambda_dependencies()
    wanted = dependencies_hash(dependencies)
    stamp = asset.parent / f"{asset.name}.deps.sha256"
    current = stamp.read_text(encoding="utf-8").strip() if stamp.exists() else None
    if current != wanted or not asset.is_dir():
        if verbose:
            print(f"bundling: installing {len(dependencies)} dependencies for {PLATFORM} "
                  f"CPython {PYTHON_VERSION} into {asset}")
        stamp.unlink(missing_ok=True)
        shutil.rmtree(asset, ignore_errors=True)
        asset.mkdir(parents=True)
        _install_dependencies(asset, dependencies)
        stamp.write_text(wanted + "\n", encoding="utf-8")
    elif verbose:
        print(f"bundling: dependencies unchanged ({wanted[:12]}), refreshing code only")
    _copy_code(asset)
    return asset


def main() -> int:
    try:
        path = build_lambda_asset(verbose=True)
    except BundlingError as exc:
        print(f"bundling failed: {exc}", file=sys.stderr)
        return 1
    print(f"bundling: Lambda asset ready at {os.path.relpath(path, REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
