"""Test-suite benchmark (issue 9): `make test`'s pytest time beside its goal, and which issue's tests it goes to.

Run with `make bench-suite` (also the last step of `make bench`), or
`.venv/bin/python benchmarks/suite_benchmark.py [--workers 2] [--junit FILE]`: it runs the suite as `make test` does
(`pytest -n 2 --dist loadgroup`, lint, bundle and desktop build not included) with the plugin benchmarks/suite_cpu.py,
which records each test's CPU seconds in the junit XML; `--junit FILE` reads a junit XML written earlier instead.
Prints figures beside their goals; asserts nothing.

The goal (issue 9 and its clarification): the pytest time of the suite as it was when issue 9 was filed (commit
31ec17d: 1,201 tests, 213 s) at most 90 s on a warm virtualenv; each later issue reports the time its tests add.
The machine is shared, so beside the wall time it prints the CPU time of pytest and its workers (user + system,
children included), and per test the sum of durations and of CPU seconds.

Attribution, approximate and by test function: a test function (file, name) that existed at 31ec17d is the
suite's as filed; a newer one belongs to the commit that first added its `def` to that file (git log -p since
31ec17d), and that commit to the issue of the branch that merged it (BRANCH_ISSUE) or, committed on the main line,
to the issue its message or COMMIT_ISSUE names (else issue 9, whose work was on the main line then). New
parameters of an old test count as old; a test moved to another file counts as new. Each group's share of the
wall time is estimated as the wall time x its share of the summed CPU seconds, and, less dependent on the
machine's load, as its CPU seconds over the workers (what it adds to the wall time of an idle machine).
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import resource
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCHMARKS = REPO / "benchmarks"
OUT = REPO / ".build" / "suite-benchmark"

FILED_AT = "31ec17d"  # the commit issue 9 was filed on (the suite then: 1,201 tests, 213 s)
GOAL_WALL_S = 90.0
FILED_TESTS, FILED_WALL_S = 1201, 213.0

#: The branches merged since, by the issue they worked on (git log --first-parent: "Merge branch 'x'", "Merge x:").
BRANCH_ISSUE = {"asset": 9, "pacing9": 9, "sim": 9, "mem": 9, "suite": 9, "suitespeed": 9, "coldstart": 9,
                "simspeed": 9, "infra10": 10, "cli10": 10, "claims10": 10, "tickets10": 10, "verify10": 10,
                "deploy": 11, "kpi": 12, "queue": 12, "lakefill": 12, "staff": 13, "desktop": 14, "sentiment": 15,
                "flows": 16, "chat": 17, "sms-tasks": 17, "sms-bridge": 17, "channel-mix": 17,
                "api-msgspec": 9}
#: Main-line commits whose message names no issue (the rest of the main line is issue 9's).
COMMIT_ISSUE = {"c006882": 12, "618140c": 12, "443cb61": 12, "394751b": 12, "fcffa1a": 14, "47d7cc0": 13,
                "e67dffe": 13, "b1b5bef": 10, "251e675": 17, "1606453": 17, "961842f": 17, "4cbcc9f": 17,
                "bf7c07a": 17, "c6fffda": 17}


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO, check=True, capture_output=True, text=True).stdout


def issue_of_commits() -> dict[str, int]:
    """Every commit since FILED_AT -> the issue it was made for (via the main-line commit that brought it in)."""
    issues: dict[str, int] = {}
    _walk("HEAD", issues)
    return issues


def _walk(tip: str, issues: dict[str, int]) -> None:
    """The first-parent line from `tip` back to FILED_AT. "Merge main into X" (a branch brought up to date, then
    fast-forwarded into main) splits it: the commits below it on this line, down to where X left main, are X's; main's
    own history is the merge's second parent, walked the same way."""
    for line in git("log", "--first-parent", "--format=%H %P|%s", f"{FILED_AT}..{tip}").splitlines():
        hashes, subject = line.split("|", 1)
        commit, *parents = hashes.split()
        into = re.match(r"Merge (?:branch )?'?main'? into '?([\w.-]+)", subject)
        if len(parents) > 1 and into:
            issue = BRANCH_ISSUE.get(into[1], 0)
            fork = git("merge-base", parents[0], parents[1]).strip()
            for each in [commit, *git("rev-list", "--first-parent", f"{fork}..{parents[0]}").split()]:
                issues.setdefault(each, issue)
            _walk(parents[1], issues)
            return
        merged = re.match(r"Merge (?:branch )?'?([\w.-]+?)'?[: ]", subject + " ")
        named = re.search(r"issue (\d+)", subject)
        if len(parents) > 1 and merged:
            issue = BRANCH_ISSUE.get(merged[1], 0)
        elif named:
            issue = int(named[1])
        else:
            issue = COMMIT_ISSUE.get(commit[:7], 9)
        brought = git("rev-list", f"^{parents[0]}", commit).split() if len(parents) > 1 else [commit]
        for each in brought:
            issues.setdefault(each, issue)


def test_functions(source: str) -> set[str]:
    """`name` and `Class::name` of the test functions of a module's source."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
             and n.name.startswith("test")}
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name.startswith("Test")):
        names |= {f"{cls.name}::{n.name}" for n in cls.body
                  if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name.startswith("test")}
    return names


def filed_tests() -> set[tuple[str, str]]:
    found = set()
    for path in git("ls-tree", "-r", "--name-only", FILED_AT, "tests").split():
        if path.endswith(".py") and Path(path).name.startswith("test_"):
            found |= {(path, name) for name in test_functions(git("show", f"{FILED_AT}:{path}"))}
    return found


def adding_commits(path: str) -> dict[str, str]:
    """A test file's function name -> the first commit since FILED_AT whose diff adds its `def`."""
    added: dict[str, str] = {}
    commit = ""
    for line in git("log", "--reverse", "--format=@@commit %H", "-p", "--unified=0", f"{FILED_AT}..HEAD", "--",
                    path).splitlines():
        if line.startswith("@@commit "):
            commit = line.split()[1]
        elif match := re.match(r"\+\s*(?:async )?def (test\w*)\(", line):
            added.setdefault(match[1], commit)
    return added


@dataclass
class Group:
    tests: int = 0
    duration_s: float = 0.0
    cpu_s: float = 0.0
    files: set[str] = field(default_factory=set)


def attribute(cases: list[tuple[str, str, float, float]]) -> dict[str, Group]:
    filed, issues = filed_tests(), issue_of_commits()
    added_by_file: dict[str, dict[str, str]] = {}
    groups: dict[str, Group] = defaultdict(Group)
    for path, name, duration, cpu in cases:
        if (path, name) in filed:
            label = f"as filed ({FILED_AT})"
        else:
            added = added_by_file.setdefault(path, adding_commits(path))
            commit = added.get(name.split("::")[-1], "")
            issue = issues.get(commit, 0)
            label = f"issue {issue}" if issue else "not attributed (uncommitted or moved)"
        group = groups[label]
        group.tests += 1
        group.duration_s += duration
        group.cpu_s += cpu
        group.files.add(path)
    return groups


def read_junit(path: Path) -> tuple[list[tuple[str, str, float, float]], dict[str, float]]:
    """(file, function, duration s, CPU s) of every test case, the function without parameters or xdist group;
    and the test CPU seconds of each xdist worker."""
    cases, workers = [], defaultdict(float)
    for case in ET.parse(path).iter("testcase"):
        module, _, cls = case.get("classname", "").partition(".Test")
        file = module.replace(".", "/") + ".py"
        name = re.sub(r"[\[@].*$", "", case.get("name", ""))
        if cls:
            name = f"Test{cls}::{name}"
        properties = {p.get("name"): p.get("value", "") for p in case.iter("property")}
        cpu = float(properties.get("cpu_s", 0))
        cases.append((file, name, float(case.get("time", 0)), cpu))
        workers[properties.get("worker", "?")] += cpu
    return cases, dict(workers)


def run_suite(workers: int, junit: Path) -> tuple[float, float]:
    """`make test`'s pytest run with the CPU plugin: (wall s, CPU s of pytest and its workers)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(BENCHMARKS), os.environ.get("PYTHONPATH")]))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as make test: bytecode kept in __pycache__
    command = [str(REPO / ".venv" / "bin" / "pytest"), "-n", str(workers), "--dist", "loadgroup", "-q",
               "-p", "suite_cpu", "-p", "no:cacheprovider", f"--junitxml={junit}", "-o", "junit_family=xunit1"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    summary = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
    print(f"  pytest: {summary}")
    if done.returncode != 0:
        print(f"  (pytest exited {done.returncode}: the figures below include the failures)")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=int(os.environ.get("PYTEST_WORKERS", "2")))
    parser.add_argument("--junit", type=Path, help="read this junit XML (written with -p suite_cpu) instead of running")
    args = parser.parse_args()

    print(f"Test-suite benchmark — Python {sys.version.split()[0]}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} at the start")
    wall = cpu = None
    if args.junit:
        junit = args.junit
    else:
        OUT.mkdir(parents=True, exist_ok=True)
        junit = OUT / "junit.xml"
        print(f"  running pytest -n {args.workers} --dist loadgroup (as make test does, after lint)...")
        wall, cpu = run_suite(args.workers, junit)
    cases, workers = read_junit(junit)
    duration, cpu_tests = sum(c[2] for c in cases), sum(c[3] for c in cases)
    print(f"  tests                       {len(cases):8,d}   (when issue 9 was filed: {FILED_TESTS:,d})")
    if wall is not None and cpu is not None:
        print(f"  pytest wall time            {wall:8.1f} s   goal <= {GOAL_WALL_S:.0f} s for the suite as filed "
              f"(then {FILED_WALL_S:.0f} s)")
        print(f"  pytest CPU time             {cpu:8.1f} s   (user + system, workers and their children; "
              f"{cpu / wall:.2f} cores busy on average)")
    print(f"  sum of test durations       {duration:8.1f} s   (grows with the machine's load)")
    print(f"  sum of test CPU             {cpu_tests:8.1f} s   (tests, fixtures and the children they waited for)")
    if len(workers) > 1:
        busiest = max(workers.values())
        split = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in sorted(workers.items()))
        print(f"  busiest worker's test CPU   {busiest:8.1f} s   goal <= {GOAL_WALL_S:.0f} s (about the whole suite's "
              f"wall on an idle machine, collection not included; {split})")

    groups = attribute(cases)
    n = max(len(workers), 1)
    print("  by issue (test functions attributed by the commit that added them; wall share = wall x CPU share; "
          f"idle = CPU / {n} workers):")
    print(f"    {'tests of':<40}{'tests':>6}{'durations s':>13}{'CPU s':>9}{'wall share s':>14}{'idle s':>8}")
    for label in sorted(groups, key=lambda g: (not g.startswith("as filed"), g)):
        group = groups[label]
        share = f"{wall * group.cpu_s / cpu_tests:10.1f}" if wall and cpu_tests else f"{'-':>10}"
        goal = f"   goal <= {GOAL_WALL_S:.0f} s" if label.startswith("as filed") else "   (added)"
        print(f"    {label:<40}{group.tests:6d}{group.duration_s:13.1f}{group.cpu_s:9.1f}{share:>14}"
              f"{group.cpu_s / n:8.1f}{goal}")
    slowest = sorted(cases, key=lambda c: -c[3])[:10]
    print("  slowest tests by CPU (s):")
    for path, name, _duration, cpu_s in slowest:
        print(f"    {cpu_s:6.1f}  {path}::{name}")


if __name__ == "__main__":
    main()
