"""A disk cache of successful CDK syntheses (and of clean cfn-lint runs), so that running the infra tests again
with nothing changed skips the synth; a clean checkout (CI) has no cache and synthesizes everything.

The key of a synth is a SHA-256 of everything its output depends on:
- every file of infra/ (constructs, stacks, flows, bundling), flowlang/ (flow lint), functions/ (the
  manifest, tables, the code the Lambda asset holds), app.py, cdk.json, pyproject.toml and requirements.lock
  (the pinned aws-cdk-lib, cdk-nag, jsii and the Lambda dependencies), and tests/infra/conftest.py and this
  file (how the app is built and read);
- the context of the synth, the asset (the dependency stamp of the bundle when the real asset is built, else
  every file of the stand-in asset) and the content of any replacement flow files.
Only a synth that succeeded (cdk-nag found nothing unacknowledged) is stored; one that raises is never
cached, so a test that expects a refusal always synthesizes. A stored entry is the JSON output of the cloud
assembly (templates, metadata, manifest, the cdk-nag validation report), without the staged asset.

cfn-lint: a run with no findings is remembered by the SHA-256 of the template and cfn-lint's version; the
same bytes linted by the same version give the same (empty) result.

`CDK_SYNTH_CACHE=0` turns both off. The cache lives in .build/synth-cache (`make clean` removes it).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".build" / "synth-cache"
SOURCE_DIRS = ("infra", "functions", "flowlang")
SOURCE_FILES = ("app.py", "cdk.json", "pyproject.toml", "requirements.lock", "tests/infra/conftest.py",
                "tests/infra/synth_cache.py")
SKIPPED_PARTS = {"__pycache__", ".pytest_cache"}


def enabled() -> bool:
    return os.environ.get("CDK_SYNTH_CACHE", "1") != "0"


def _files(root: Path) -> Iterable[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and not SKIPPED_PARTS.intersection(path.parts) and path.suffix != ".pyc":
            yield path


def _hash_files(digest: Any, paths: Iterable[Path], base: Path) -> None:
    for path in paths:
        digest.update(str(path.relative_to(base)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())


_SOURCES: str | None = None


def sources_digest() -> str:
    """The digest of the repository files every synth depends on (computed once per process)."""
    global _SOURCES
    if _SOURCES is None:
        digest = hashlib.sha256()
        for name in SOURCE_DIRS:
            _hash_files(digest, _files(REPO / name), REPO)
        _hash_files(digest, (REPO / name for name in SOURCE_FILES), REPO)
        _SOURCES = digest.hexdigest()
    return _SOURCES


def synth_key(context: Mapping[str, Any], asset_dir: Path | None, flow_sources: Mapping[str, Path] | None) -> str:
    digest = hashlib.sha256(sources_digest().encode())
    digest.update(json.dumps(context, sort_keys=True).encode())
    if asset_dir is None:
        from infra import runtime
        from infra.bundling import dependencies_hash, lambda_dependencies

        digest.update(b"bundle:" + dependencies_hash(lambda_dependencies(), runtime.PIP_PLATFORM).encode())
    else:
        digest.update(b"asset:")
        _hash_files(digest, _files(asset_dir), asset_dir)
    for name, path in sorted((flow_sources or {}).items()):
        digest.update(f"flow:{name}\0".encode() + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def restore(key: str, outdir: Path) -> bool:
    """Copy a stored synth's output into `outdir`; False when there is none."""
    entry = CACHE / key
    if not enabled() or not (entry / "complete").is_file():
        return False
    outdir.mkdir(parents=True, exist_ok=True)
    for path in entry.glob("*.json"):
        shutil.copy2(path, outdir / path.name)
    return True


def store(key: str, outdir: Path) -> None:
    """Keep the JSON output of a successful synth under `key` (written aside, then renamed: a concurrent or
    interrupted run never sees half an entry)."""
    if not enabled():
        return
    CACHE.mkdir(parents=True, exist_ok=True)
    entry = CACHE / key
    if entry.is_dir():
        return
    partial = CACHE / f".{key}.{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    for path in outdir.glob("*.json"):
        shutil.copy2(path, partial / path.name)
    (partial / "complete").write_text("", encoding="utf-8")
    try:
        partial.rename(entry)
    except OSError:  # another run stored it first
        shutil.rmtree(partial, ignore_errors=True)


def _lint_marker(template: Path) -> Path:
    digest = hashlib.sha256(template.read_bytes())
    digest.update(importlib.metadata.version("cfn-lint").encode())  # without importing cfn-lint (~0.5 s)
    return CACHE / "cfn-lint-clean" / digest.hexdigest()


def lint_findings(template: Path) -> list[str]:
    """cfn-lint's findings for a template, as text; a template linted clean before is not linted again."""
    from cfnlint.api import lint_file

    marker = _lint_marker(template)
    if enabled() and marker.is_file():
        return []
    findings = [str(match) for match in lint_file(template)]
    if not findings and enabled():
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(template.name + "\n", encoding="utf-8")
    return findings
