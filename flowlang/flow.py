"""Contact flow files: loading, placeholders and their substitution.

A flow file under infra/flows/ is plain Amazon Connect Flow language JSON, except
that anything instance-specific is a named placeholder, e.g. "{{lambda:routing}}"
or "{{queue:general}}". CDK substitutes deployed ARNs (per stage); the local
simulator substitutes local ARNs. The same file is the single source for both.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FLOWS_DIR = Path(__file__).resolve().parent.parent / "infra" / "flows"
FLOW_VERSION = "2019-10-30"
PLACEHOLDER_KINDS = ("lambda", "queue", "hours", "flow", "prompt", "voice", "view")
PLACEHOLDER = re.compile(r"\{\{(?P<kind>[a-z]+):(?P<name>[a-z0-9_-]+)\}\}")


class FlowFormatError(ValueError):
    """The file is not a structurally valid flow document."""


@dataclass(frozen=True, order=True)
class Placeholder:
    kind: str
    name: str

    def __str__(self) -> str:
        return "{{" + f"{self.kind}:{self.name}" + "}}"


def parse_flow(document: str | dict[str, Any], source: str = "<flow>") -> dict[str, Any]:
    """Parse and check the top-level structure (Version, StartAction, Actions with Identifier and Type)."""
    try:
        flow = json.loads(document) if isinstance(document, str) else document
    except json.JSONDecodeError as exc:
        raise FlowFormatError(f"{source}: not valid JSON ({exc})") from exc
    if not isinstance(flow, dict):
        raise FlowFormatError(f"{source}: a flow must be a JSON object")
    if flow.get("Version") != FLOW_VERSION:
        raise FlowFormatError(f"{source}: Version must be {FLOW_VERSION!r}, got {flow.get('Version')!r}")
    if not isinstance(flow.get("StartAction"), str):
        raise FlowFormatError(f"{source}: StartAction must be an action Identifier")
    actions = flow.get("Actions")
    if not isinstance(actions, list) or not actions:
        raise FlowFormatError(f"{source}: Actions must be a non-empty list")
    for index, action in enumerate(actions):
        if not isinstance(action, dict) or not isinstance(action.get("Identifier"), str):
            raise FlowFormatError(f"{source}: action #{index} has no Identifier")
        if not isinstance(action.get("Type"), str):
            raise FlowFormatError(f"{source}: action {action['Identifier']!r} has no Type")
        if not isinstance(action.get("Transitions", {}), dict):
            raise FlowFormatError(f"{source}: action {action['Identifier']!r} Transitions must be an object")
    return flow


def load_flow(path: Path | str) -> dict[str, Any]:
    path = Path(path)
    return parse_flow(path.read_text(encoding="utf-8"), source=path.name)


def flow_files(directory: Path = FLOWS_DIR) -> dict[str, Path]:
    """Every flow file by name ("inbound" for inbound.json)."""
    return {p.stem: p for p in sorted(directory.glob("*.json"))}


def strings_in(value: Any) -> Iterator[str]:
    """Every string in a JSON value, object keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def placeholders(flow: dict[str, Any]) -> set[Placeholder]:
    found = set()
    for text in strings_in(flow.get("Actions", [])):
        for match in PLACEHOLDER.finditer(text):
            found.add(Placeholder(match["kind"], match["name"]))
    return found


def substitute(flow: dict[str, Any], resolve: Callable[[Placeholder], str]) -> dict[str, Any]:
    """A deep copy of `flow` with every placeholder replaced by resolve(placeholder)."""

    def replace_in(value: Any) -> Any:
        if isinstance(value, str):
            return PLACEHOLDER.sub(lambda m: resolve(Placeholder(m["kind"], m["name"])), value)
        if isinstance(value, dict):
            return {replace_in(k): replace_in(v) for k, v in value.items()}
        if isinstance(value, list):
            return [replace_in(v) for v in value]
        return value

    result = copy.deepcopy(flow)
    result["Actions"] = replace_in(result["Actions"])
    return result


def actions_by_id(flow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {action["Identifier"]: action for action in flow["Actions"]}


def format_flow(flow: dict[str, Any], width: int = 110) -> str:
    """The flow as our files are written: a value on one line when it fits in `width`, else one entry per line."""

    def render(value: Any, indent: int) -> str:
        inline = json.dumps(value, ensure_ascii=False)
        if len(inline) + indent <= width or not isinstance(value, dict | list) or not value:
            return inline
        pad = " " * (indent + 2)
        if isinstance(value, dict):
            items = [f"{pad}{json.dumps(key, ensure_ascii=False)}: {render(item, indent + 2)}"
                     for key, item in value.items()]
            return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
        return "[\n" + ",\n".join(pad + render(item, indent + 2) for item in value) + "\n" + " " * indent + "]"

    return render(flow, 0) + "\n"
