"""Every context key the CDK app reads is declared in cdk.json and named in the README's deployment section."""

from __future__ import annotations

import json

import pytest

from tests.conftest import REPO

CONTEXT = json.loads((REPO / "cdk.json").read_text(encoding="utf-8"))["context"]
README = (REPO / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("key", sorted(CONTEXT))
def test_a_context_key_of_cdk_json_is_named_in_the_readme(key: str) -> None:
    assert f"`{key}`" in README


def test_the_keys_of_issue_10_are_declared() -> None:
    assert {"service_callers", "recording_retention_days", "access_log_retention_days",
            "flow_log_retention_days"} <= set(CONTEXT)
