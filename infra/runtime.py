"""The Lambda runtime, declared once: the bundler, the bytecode, the function construct and the tests read it.

Choice: **python3.11 on arm64** (Graviton).

- Bytecode: `.pyc` files are specific to a CPython minor version, and the machines that build the asset
  (developers' and CI's) have CPython 3.11 only. The asset ships bytecode compiled by that interpreter, so the
  deployed runtime must be 3.11: with any other minor version Lambda would ignore every `.pyc` and compile
  from source on each cold start (its code directory is read-only, so nothing compiled there is kept).
- Native wheels are still chosen for the deployed platform (pip `--platform manylinux2014_aarch64`), so the
  architecture stays arm64.
- Support window (AWS Lambda developer guide, "Building Lambda functions with Python"): python3.11 runs on
  Amazon Linux 2; deprecation Jun 30, 2027, function creation blocked from Jul 31, 2027, updates blocked from
  Aug 31, 2027. python3.12 and later run on Amazon Linux 2023 and are supported to 2028-2029. Moving to one of
  them means changing PYTHON_VERSION here *and* building with that interpreter (the bundler refuses to compile
  bytecode with any other), which is why this is one declaration and not three constants.

Local runs (tests, simulator) use the same minor version: `requires-python` in pyproject.toml and ruff's
`target-version` agree with it (tests/infra/test_bundling.py checks all of these against each other).
"""

from __future__ import annotations

import platform
import sys

PYTHON_VERSION = "3.11"  # CPython minor version of the Lambda runtime and of the bundled bytecode
ARCHITECTURE = "arm64"  # Lambda's name: "arm64" or "x86_64"
RUNTIME_NAME = f"python{PYTHON_VERSION}"  # Lambda's runtime identifier

# pip's platform tag for each Lambda architecture: Lambda's Amazon Linux 2 has glibc 2.26, so manylinux2014
# (glibc 2.17) wheels are the newest that are sure to load there.
PIP_PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}
PIP_PLATFORM = PIP_PLATFORMS[ARCHITECTURE]
IMPLEMENTATION = "cp"
BYTECODE_TAG = f"cpython-{PYTHON_VERSION.replace('.', '')}"  # the `__pycache__/<module>.<tag>.pyc` infix

# cdk-nag's AwsSolutions-L1 asks for the newest Lambda runtime; this is why the functions run an older one.
WHY_NOT_THE_LATEST = (
    f"{RUNTIME_NAME} on purpose (infra/runtime.py): the asset ships bytecode compiled by the CPython 3.11 that "
    "builds it, and bytecode is specific to the minor version; on a newer runtime every cold start would compile "
    "from source. Lambda supports python3.11 until its deprecation on Jun 30, 2027."
)


def interpreter_version() -> str:
    """The minor version of the interpreter running this code, as "3.11"."""
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def interpreter_matches() -> bool:
    """Whether this interpreter can compile bytecode the deployed runtime will use."""
    return sys.implementation.name == "cpython" and interpreter_version() == PYTHON_VERSION


def local_pip_platform() -> str:
    """pip's platform tag for this machine (for a copy of the asset that this interpreter can import)."""
    machine = platform.machine().lower()
    architecture = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(machine)
    if architecture is None:
        raise RuntimeError(f"no Lambda architecture matches this machine ({machine})")
    return PIP_PLATFORMS[architecture]
