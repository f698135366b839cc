"""Branch coverage of flows: which actions ran and which edges were taken, over any number of calls."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from flowlang.language import Edge, branch_edges


@dataclass(frozen=True)
class CoverageReport:
    flow: str
    actions_covered: int
    actions_total: int
    edges_covered: int
    edges_total: int
    never_run: list[str]  # action Identifiers
    never_taken: list[str]  # "menu --Equals 3--> intent-sales"

    def format_report(self) -> list[str]:
        lines = [f"Flow {self.flow!r}: {self.actions_covered}/{self.actions_total} actions run, "
                 f"{self.edges_covered}/{self.edges_total} branches taken"]
        lines += [f"  never run:   {identifier}" for identifier in self.never_run]
        lines += [f"  never taken: {edge}" for edge in self.never_taken]
        return lines


class FlowCoverage:
    """Actions run and edges taken, per flow name, accumulated over any number of calls."""

    def __init__(self) -> None:
        self._actions: dict[str, set[str]] = defaultdict(set)
        self._edges: dict[str, set[Edge]] = defaultdict(set)

    def record_action(self, flow_name: str, action_id: str) -> None:
        self._actions[flow_name].add(action_id)

    def record_edge(self, flow_name: str, edge: Edge) -> None:
        self._edges[flow_name].add(edge)

    def report(self, flow_name: str, flow: dict[str, Any]) -> CoverageReport:
        identifiers = [action["Identifier"] for action in flow["Actions"]]
        edges = [edge for action in flow["Actions"] for edge in branch_edges(action)]
        run, taken = self._actions[flow_name], self._edges[flow_name]
        return CoverageReport(
            flow=flow_name,
            actions_covered=sum(identifier in run for identifier in identifiers),
            actions_total=len(identifiers),
            edges_covered=sum(edge in taken for edge in edges),
            edges_total=len(edges),
            never_run=[identifier for identifier in identifiers if identifier not in run],
            never_taken=[str(edge) for edge in edges if edge not in taken],
        )


# Where run_flow records when no coverage is passed (the test session prints it at the end).
GLOBAL_COVERAGE = FlowCoverage()
