"""The Lambda asset holds our code and every third-party module it imports, compiled for the one declared
runtime (infra/runtime.py), without what Lambda never reads. Its size is a benchmark figure
(benchmarks/cold_start_benchmark.py), not asserted here."""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import json
import marshal
import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import msgspec
import pytest

from functions.manifest import FUNCTIONS
from infra import bundling, runtime
from infra.bundling import (
    LAMBDA_TASK_ROOT,
    LOCAL_ONLY_CODE,
    REPO,
    RUNTIME_PROVIDED,
    RUNTIME_PROVIDED_MODULES,
    BundlingError,
    build_lambda_asset,
    dependencies_hash,
    lambda_dependencies,
)

pytestmark = pytest.mark.infra


@pytest.fixture(scope="module")
def asset() -> Path:
    return build_lambda_asset()


def _sources(package: Path) -> list[tuple[Path, ast.Module]]:
    return [(source, ast.parse(source.read_text(encoding="utf-8"))) for source in sorted(package.rglob("*.py"))]


def _deployed(source: Path) -> bool:
    return source.relative_to(REPO).as_posix() not in LOCAL_ONLY_CODE


def _imported_modules(package: Path) -> set[str]:
    """Every module named by an import in the package's deployed sources (LOCAL_ONLY_CODE left out)."""
    modules = set()
    for _, tree in [(source, tree) for source, tree in _sources(package) if _deployed(source)]:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return modules


def _in_asset(asset: Path, module: str) -> bool:
    return ((asset / module).is_dir() or (asset / f"{module}.py").is_file() or (asset / f"{module}.pyc").is_file()
            or any(asset.glob(f"{module}.*.so")))


def test_every_module_the_functions_import_is_bundled_or_provided(asset: Path) -> None:
    missing = sorted(
        top for top in {module.split(".")[0] for module in _imported_modules(REPO / "functions")}
        if top not in sys.stdlib_module_names and top not in RUNTIME_PROVIDED_MODULES and not _in_asset(asset, top)
    )
    assert missing == []


def test_one_runtime_is_declared_and_everything_agrees_with_it() -> None:
    from infra.constructs.functions import ARCHITECTURE, RUNTIME

    with (REPO / "pyproject.toml").open("rb") as handle:
        pyproject = tomllib.load(handle)
    assert runtime.interpreter_version() == runtime.PYTHON_VERSION  # the bytecode this interpreter compiles
    assert RUNTIME.name == runtime.RUNTIME_NAME == f"python{runtime.PYTHON_VERSION}"
    assert ARCHITECTURE.name == runtime.ARCHITECTURE
    assert pyproject["project"]["requires-python"] == f">={runtime.PYTHON_VERSION}"
    assert pyproject["tool"]["ruff"]["target-version"] == "py" + runtime.PYTHON_VERSION.replace(".", "")


def test_building_with_another_interpreter_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(runtime, "PYTHON_VERSION", "3.14")
    with pytest.raises(BundlingError, match=r"runtime is python3\.14 .* but this is cpython 3\.11"):
        build_lambda_asset(tmp_path / "lambda")
    assert not (tmp_path / "lambda").exists()


def test_native_code_is_for_the_declared_platform_without_the_runtime_provided_sdk(asset: Path) -> None:
    tag = f"cpython-{runtime.PYTHON_VERSION.replace('.', '')}-{runtime.PIP_PLATFORM.split('_', 1)[1]}"
    native = list(asset.rglob("*.so"))
    assert native and all(tag in so.name or "abi3" in so.name for so in native), [so.name for so in native]
    assert not any(_in_asset(asset, module) for module in RUNTIME_PROVIDED_MODULES)


def _pyc_header(path: Path) -> tuple[bytes, int]:
    data = path.read_bytes()
    return data[:4], int.from_bytes(data[4:8], "little")


UNCHECKED_HASH = 0b01  # PEP 552 flags: hash-based, do not check the source


def test_every_module_is_unchecked_bytecode_for_the_declared_runtime(asset: Path) -> None:
    compiled = list(asset.rglob("*.pyc"))
    assert len(compiled) > 1000
    headers = {_pyc_header(path) for path in compiled}
    assert headers == {(importlib.util.MAGIC_NUMBER, UNCHECKED_HASH)}  # this interpreter is the declared one
    assert {path.name.split(".")[-2] for path in asset.rglob("__pycache__/*.pyc")} == {runtime.BYTECODE_TAG}


def test_our_code_keeps_its_sources_beside_bytecode_and_dependencies_ship_bytecode_only(asset: Path) -> None:
    ours = sorted((asset / "functions").rglob("*.py"))
    assert len(ours) == len([source for source in (REPO / "functions").rglob("*.py") if _deployed(source)])
    assert all(Path(importlib.util.cache_from_source(str(source))).is_file() for source in ours)
    for spec in FUNCTIONS.values():
        handler = asset / (spec.handler.rpartition(".")[0].replace(".", "/") + ".py")
        assert Path(importlib.util.cache_from_source(str(handler))).is_file(), spec.handler
    third_party_sources = [p for p in asset.rglob("*.py") if p.relative_to(asset).parts[0] != "functions"]
    assert third_party_sources == []
    assert (asset / "functions" / "routing" / "policy.json").is_file()


def test_bytecode_names_the_deployed_file(asset: Path) -> None:
    for pyc, expected in (
        (asset / "phonenumbers" / "timezone.pyc", f"{LAMBDA_TASK_ROOT}/phonenumbers/timezone.py"),
        (Path(importlib.util.cache_from_source(str(asset / "functions" / "common" / "phone.py"))),
         f"{LAMBDA_TASK_ROOT}/functions/common/phone.py"),
    ):
        assert marshal.loads(pyc.read_bytes()[16:]).co_filename == expected


def test_phone_numbers_keep_time_zones_but_not_place_or_carrier_names(asset: Path) -> None:
    phonenumbers = asset / "phonenumbers"
    assert not (phonenumbers / "geodata").exists() and not (phonenumbers / "carrierdata").exists()
    assert not list(phonenumbers.glob("geocoder.*")) and not list(phonenumbers.glob("carrier.*"))
    assert (phonenumbers / "timezone.pyc").is_file() and (phonenumbers / "tzdata").is_dir()
    used = {m for m in _imported_modules(REPO / "functions") if m.startswith("phonenumbers")}
    assert "phonenumbers.timezone" in used
    assert not {m for m in used if m.split(".")[1:2] in (["geocoder"], ["carrier"], ["geodata"], ["carrierdata"])}


def _calls(name: str) -> list[tuple[Path, ast.Call]]:
    found = []
    for source, tree in _sources(REPO / "functions"):
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
                if called == name:
                    found.append((source, node))
    return found


def _module_file(module: str) -> Path | None:
    path = REPO.joinpath(*module.split("."))
    return next((p for p in (path.with_suffix(".py"), path / "__init__.py") if p.is_file()), None)


def _reached_from(module: str) -> set[str]:
    """Our modules a module imports, directly or through others, at the top or inside a function (statically)."""
    reached, pending = set(), [module]
    while pending:
        name = pending.pop()
        source = _module_file(name)
        if name in reached or source is None:
            continue
        reached.add(name)
        parents = name.split(".")
        pending += [".".join(parents[:i]) for i in range(1, len(parents))]  # a package's __init__ runs first
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                pending += [alias.name for alias in node.names if alias.name.startswith("functions")]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("functions"):
                pending += [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
    return reached


def test_code_no_lambda_runs_is_left_out_with_the_libraries_only_it_needs(asset: Path) -> None:
    local_only = {path.removesuffix(".py").replace("/", ".") for path in LOCAL_ONLY_CODE}
    assert local_only and all((REPO / path).is_file() and len(reason) > 30 for path, reason in LOCAL_ONLY_CODE.items())
    # No handler reaches it, by any import (the check finds the importer from the CLI's module)
    for spec in FUNCTIONS.values():
        handler_module = spec.handler.rpartition(".")[0]
        assert not _reached_from(handler_module) & local_only, spec.handler
    assert _reached_from("callcenter.cli.common") & local_only == {"functions.profiles.importer"}
    # so it is not in the asset, and neither are pydantic and email-validator, which only it imports
    assert not [path for path in LOCAL_ONLY_CODE if (asset / path).exists()]
    for top in ("pydantic", "pydantic_core", "email_validator", "dns"):
        assert not _in_asset(asset, top), top


def test_what_the_asset_leaves_out_is_never_reached(asset: Path) -> None:
    # dnspython is not in the asset (above); locally, email-validator never asks DNS either: deliverability is
    # never checked.
    validations = _calls("validate_email")
    assert validations
    for source, call in validations:
        keywords = {k.arg: k.value for k in call.keywords}
        assert isinstance(keywords.get("check_deliverability"), ast.Constant), source
        assert keywords["check_deliverability"].value is False, source
    # The Swagger UI page's files are left out: only enable_swagger() serves them.
    assert not list((asset / "aws_lambda_powertools").rglob("swagger-ui*.js"))
    assert _calls("enable_swagger") == []


def test_each_package_record_lists_exactly_its_files_in_the_asset(asset: Path) -> None:
    records = list(asset.glob("*.dist-info/RECORD"))
    assert records
    for record in records:
        paths = [line.split(",", 1)[0] for line in record.read_text(encoding="utf-8").splitlines() if line]
        assert all((asset / path).exists() for path in paths), record
        assert not any(path.endswith(".py") for path in paths), record


def _requirement_names(distribution: str) -> set[str]:
    names = set()
    for requirement in importlib.metadata.requires(distribution) or []:
        if "extra ==" in requirement:
            continue
        names.add(re.split(r"[\s<>=!~;\[(]", requirement, maxsplit=1)[0].lower().replace("_", "-"))
    return names


def test_runtime_provided_is_boto3_and_what_it_depends_on() -> None:
    closure, pending = set(), ["boto3"]
    while pending:
        name = pending.pop()
        if name not in closure:
            closure.add(name)
            pending.extend(_requirement_names(name))
    assert closure == RUNTIME_PROVIDED


def test_modules_load_from_bytecode_in_a_read_only_lambda_layout(asset: Path) -> None:
    """A fresh interpreter with only the asset on its path: nothing under it is compiled from source, and
    phone numbers still resolve to time zones (phonenumbers' tzdata is kept), and IANA zone files load from the
    compiled tzdata package. The asset's native extensions are arm64, so msgspec (the one functions.common.phone
    needs) is imported first from this environment; everything else comes from the asset."""
    script = textwrap.dedent(f"""
        import importlib.machinery, json, sys
        asset = {str(asset)!r}
        compiled = []
        original = importlib.machinery.SourceFileLoader.source_to_code
        def source_to_code(self, data, path, **kwargs):
            if str(path).startswith(asset):
                compiled.append(str(path))
            return original(self, data, path, **kwargs)
        importlib.machinery.SourceFileLoader.source_to_code = source_to_code
        sys.path.insert(0, {str(Path(msgspec.__file__).parent.parent)!r})
        import msgspec  # native: this machine's build, not the asset's arm64 one
        sys.path[:] = [asset, *sys.path[1:]]
        from functions.common.phone import mask_phone, time_zones_for
        from importlib.resources import files
        zone_file = files("tzdata.zoneinfo.America").joinpath("New_York").read_bytes()  # zoneinfo's fallback
        print(json.dumps({{"compiled": compiled, "zones": time_zones_for("+12125550175"),
                          "tzif": zone_file[:4].decode(), "masked": mask_phone("+12125550175"),
                          "loader": type(sys.modules["phonenumbers"].__spec__.loader).__name__}}))
    """)
    result = subprocess.run([sys.executable, "-I", "-S", "-B", "-c", script], capture_output=True, text=True,
                            check=True, cwd=asset.parent)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["compiled"] == []
    assert report["zones"] == ["America/New_York"]
    assert report["tzif"] == "TZif"
    assert report["masked"] == "+1********75"
    assert report["loader"] == "SourcelessFileLoader"


def test_dependencies_are_pyproject_pins_minus_the_sdk() -> None:
    dependencies = lambda_dependencies()
    assert dependencies and all("==" in requirement for requirement in dependencies)
    assert not any(requirement.startswith(("boto3", "botocore")) for requirement in dependencies)
    assert dependencies_hash(dependencies) == dependencies_hash(list(reversed(dependencies)))
    assert dependencies_hash(dependencies) != dependencies_hash(dependencies, runtime.PIP_PLATFORMS["x86_64"])


def test_every_removal_says_why() -> None:
    assert all(rule.patterns and len(rule.reason) > 30 for rule in bundling.UNNEEDED)
