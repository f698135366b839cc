"""The Lambda asset holds our code and every third-party module it imports, built for arm64 python3.14."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from functions.manifest import FUNCTIONS
from infra.bundling import REPO, RUNTIME_PROVIDED, build_lambda_asset, dependencies_hash, lambda_dependencies

pytestmark = pytest.mark.infra


@pytest.fixture(scope="module")
def asset() -> Path:
    return build_lambda_asset()


def _imported_top_level_modules(package: Path) -> set[str]:
    modules = set()
    for source in package.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return modules


def _in_asset(asset: Path, module: str) -> bool:
    return (asset / module).is_dir() or (asset / f"{module}.py").is_file() or any(asset.glob(f"{module}.*.so"))


def test_every_module_the_functions_import_is_bundled_or_provided(asset: Path) -> None:
    missing = sorted(
        module for module in _imported_top_level_modules(REPO / "functions")
        if module not in sys.stdlib_module_names and module not in RUNTIME_PROVIDED
        and not _in_asset(asset, module)
    )
    assert missing == []


def test_handlers_are_in_the_asset(asset: Path) -> None:
    for spec in FUNCTIONS.values():
        module = spec.handler.rpartition(".")[0]
        assert (asset / (module.replace(".", "/") + ".py")).is_file(), spec.handler


def test_asset_is_built_for_arm64_python_3_14_without_the_runtime_provided_sdk(asset: Path) -> None:
    native = list(asset.rglob("*.so"))
    assert native and all("cpython-314-aarch64" in so.name or "abi3" in so.name for so in native)
    assert not any((asset / name).exists() for name in RUNTIME_PROVIDED)
    assert not list((asset / "functions").rglob("__pycache__"))
    assert (asset / "functions" / "routing" / "policy.json").is_file()


def test_dependencies_are_pyproject_pins_minus_the_sdk() -> None:
    dependencies = lambda_dependencies()
    assert dependencies and all("==" in requirement for requirement in dependencies)
    assert not any(requirement.startswith(("boto3", "botocore")) for requirement in dependencies)
    assert dependencies_hash(dependencies) == dependencies_hash(list(reversed(dependencies)))
