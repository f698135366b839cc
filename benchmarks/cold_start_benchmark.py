"""Cold start from the built Lambda asset, beside `import boto3`, in Lambda-like processes; and the asset's size.

Run with `make bench` (or `python benchmarks/cold_start_benchmark.py --runs 9`). Prints figures beside their
goals; asserts nothing.

What it does, and where it differs from Lambda:
- The asset is built by infra/bundling.py for the declared runtime (infra/runtime.py: python3.11, arm64).
  Its size (unzipped MB, files) is the deployed asset's. Its native extension (msgspec) is
  arm64, which this interpreter cannot load, so the imports run from a twin built by the same bundler for
  this machine's platform: same pins, same removals, same bytecode, only the native wheels differ.
- The twin is copied to a scratch "task" directory (LAMBDA_TASK_ROOT) and made read-only. Root ignores
  file modes, so the processes also run with -B: as on Lambda, nothing compiled at import can be kept. Each
  process counts the modules under the task directory that it compiled from source (goal: none), and the
  directory is checked unchanged afterwards.
- boto3 and what it depends on come from a "runtime" directory beside it (Lambda's /var/runtime), linked
  to this environment's pinned copies; nothing else is on sys.path but the standard library (-I -S).
- Each process gets the function's environment as Lambda would: the manifest's variables (POWERTOOLS_*),
  the wired values and table/queue names the local backend gives it, AWS_LAMBDA_FUNCTION_NAME,
  AWS_REGION, LAMBDA_TASK_ROOT, the X-Ray variables (tracing is active on Lambda, so the Tracer is not
  disabled here).
- `import boto3` and every handler of functions/manifest.py are imported in fresh processes, interleaved,
  N runs each; the figures are medians. The import is timed inside the process (interpreter start-up is
  the same for both and not counted), in wall time and in CPU time. The ratios and the estimate use CPU
  time: the machine is shared, and time spent waiting for a core is not the import's cost (the import
  reads files the page cache already holds, so on an idle machine the two agree).
- Floors (FLOORS): the same processes import only the third-party libraries a handler is built on (and set up
  the tickets API's resolver), so the part of a ratio that is ours and the part no code of ours can remove
  are told apart in the same run.
- Routing, first decision: in the same process, after the timed import, moto (from this environment) is
  started in-process, the profiles table and a known caller are put there through a separate boto3
  session, then the handler is called once: policy load and validation, the DynamoDB client built, one
  query. Moto answers in-process, so the TLS handshake to DynamoDB a real first call pays is not counted.
- Tickets API, first request: the same, for the agents' API (FIRST_REQUESTS): its tables as the local backend
  makes them, with the demo customers, then `POST /tickets` for a known customer as an agent of the team
  (events/tickets/api_create_ticket.json): a read of the customer and one transaction on the tickets and
  profiles tables, through one DynamoDB client. Its answer (201) is printed, and an estimate at the API's
  memory size beside its timeout (an agent waits for it; API Gateway's own limit is 29 s).
- Estimate at 512 MB: Lambda gives a function CPU in proportion to its memory, one vCPU at 1,769 MB, so
  512 MB is ~0.29 vCPU. The estimate scales the CPU time of import + first decision here by 1,769 / 512,
  assuming one core here is worth one Lambda vCPU, and leaves out the runtime's own start and the
  download of the code. It is printed beside the time Connect waits for the function.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from functions.manifest import FUNCTIONS, ConnectFlowSource, FunctionSpec  # noqa: E402
from infra import runtime  # noqa: E402
from infra.bundling import ASSET_DIR, RUNTIME_PROVIDED_MODULES, asset_size, build_lambda_asset  # noqa: E402

RUNS = 7
# The third-party libraries a handler is built on, imported (and, for the resolver, set up) alone, in the same
# Lambda-like processes: the floor under that handler's ratio, whatever our own code does. `functions` is
# imported first, as every handler's import does (functions/deferred_packages.py).
# The tickets API's: Powertools' REST resolver without validation (routing and exception handlers only), msgspec
# for its models and their checks (functions/tickets/api_contract.py); no pydantic.
_API_FLOOR = ("import functions, functions.common.observability, botocore.session, msgspec\n"
              "from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver\n"
              "APIGatewayRestResolver(strip_prefixes=['/service'])")
FLOORS = {  # label: (the function whose environment it runs in, what it imports, the code)
    "routing floor": ("routing", "botocore's client, Powertools Logger+Metrics, msgspec, phonenumbers, zoneinfo",
                      "import functions, functions.common.observability, msgspec, zoneinfo, botocore.session\n"
                      "from phonenumbers import phonenumberutil"),
    "tickets API floor": ("ticket-api", "botocore's client, Powertools Logger+Metrics, msgspec, Powertools' "
                          "REST resolver (no validation)", _API_FLOOR),
    "tickets API floor + its stores' libraries": (
        "ticket-api", "the same + PynamoDB, phonenumbers (the policy's line numbers), zoneinfo",
        _API_FLOOR + "\nimport zoneinfo, pynamodb.models\nfrom phonenumbers import phonenumberutil"),
}
ASSET_GOAL_MB = 15.0
ROUTING_GOAL = 1.15  # cold import of the routing handler / import boto3
OTHER_GOAL = 1.5
FULL_VCPU_MB = 1769  # Lambda: one vCPU's worth of CPU at 1,769 MB
CONNECT_MAX_SECONDS = 8  # the most InvocationTimeLimitSeconds a flow may set
REGION = "us-east-1"
KNOWN_CALLER = "+12125550175"  # cust-grace in demo/profiles.csv
MARK = "@@cold-start "

# Runs in the fresh process: python -I -S -B -c CHILD <task dir> <runtime dir> <module> <mode> [<seed file>]
CHILD = textwrap.dedent('''
    import importlib, importlib.machinery, json, sys, time
    task, runtime_dir, target, mode = sys.argv[1:5]
    compiled = []
    _source_to_code = importlib.machinery.SourceFileLoader.source_to_code
    def source_to_code(self, data, path, **kwargs):
        if str(path).startswith(task):
            compiled.append(str(path))
        return _source_to_code(self, data, path, **kwargs)
    importlib.machinery.SourceFileLoader.source_to_code = source_to_code
    sys.path[:0] = [task, runtime_dir]

    started, cpu = time.perf_counter(), time.process_time()
    module = exec(target[5:], {}) if target.startswith("exec:") else importlib.import_module(target)
    result = {"import_ms": (time.perf_counter() - started) * 1000, "import_cpu_ms": (time.process_time() - cpu) * 1000,
              "compiled": len(compiled)}

    if mode == "decide":
        seed = json.load(open(sys.argv[5]))
        sys.path.append(seed["site_packages"])  # moto and the boto3 used to seed it: after the timed import
        import boto3, moto
        moto.mock_aws().start()
        client = boto3.session.Session().client("dynamodb", region_name=seed["region"])
        for table in seed["tables"]:
            client.create_table(**table["create"])
            for item in table["items"]:
                client.put_item(TableName=table["create"]["TableName"], Item=item)

        class Context:
            function_name = seed["function_name"]
            invoked_function_arn = seed["function_arn"]
            memory_limit_in_mb = seed["memory_mb"]
            aws_request_id = "cold-start-benchmark"
            function_version = "$LATEST"
            log_group_name = "/aws/lambda/" + seed["function_name"]
            log_stream_name = "cold-start-benchmark"
            def get_remaining_time_in_millis(self):
                return seed["timeout_ms"]

        handler = getattr(module, seed["handler"])
        started, cpu = time.perf_counter(), time.process_time()
        response = handler(seed["event"], Context())
        result["first_ms"] = (time.perf_counter() - started) * 1000
        result["first_cpu_ms"] = (time.process_time() - cpu) * 1000
        result["reason"] = str(response.get("reason") or response.get("statusCode"))
    print(''' + repr(MARK) + ''' + json.dumps(result), flush=True)
''')


@dataclass
class Sample:
    import_ms: float
    import_cpu_ms: float
    compiled: int
    first_ms: float | None = None
    first_cpu_ms: float | None = None
    reason: str | None = None


def _runtime_directory(destination: Path) -> Path:
    """Lambda's /var/runtime: boto3 and the packages it depends on, nothing else."""
    site = Path(sysconfig.get_paths()["purelib"])
    destination.mkdir()
    for module in RUNTIME_PROVIDED_MODULES:
        source = site / module if (site / module).is_dir() else site / f"{module}.py"
        (destination / source.name).symlink_to(source)
    return destination


def _read_only_copy(asset: Path, destination: Path) -> Path:
    shutil.copytree(asset, destination, symlinks=True)
    for path in sorted(destination.rglob("*"), reverse=True):
        path.chmod(path.stat().st_mode & ~0o222)
    destination.chmod(destination.stat().st_mode & ~0o222)
    return destination


def _tree(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def _lambda_environment(spec: FunctionSpec, function_env: dict[str, str], task: Path,
                        runtime_dir: Path) -> dict[str, str]:
    name = f"callcenter-bench-{spec.name}"
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "en_US.UTF-8", "TZ": ":UTC",
        "LAMBDA_TASK_ROOT": str(task), "LAMBDA_RUNTIME_DIR": str(runtime_dir), "_HANDLER": spec.handler,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{runtime.RUNTIME_NAME}",
        "AWS_LAMBDA_FUNCTION_NAME": name, "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}", "AWS_LAMBDA_LOG_STREAM_NAME": "cold-start-benchmark",
        "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "benchmark", "AWS_SECRET_ACCESS_KEY": "benchmark", "AWS_SESSION_TOKEN": "benchmark",
        "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000", "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0",
        **function_env,
    }


def _run(task: Path, runtime_dir: Path, module: str, env: dict[str, str], seed: Path | None = None) -> Sample:
    arguments = [str(task), str(runtime_dir), module, "decide" if seed else "import"]
    if seed:
        arguments.append(str(seed))
    result = subprocess.run([sys.executable, "-I", "-S", "-B", "-c", CHILD, *arguments], env=env, cwd=task,
                            capture_output=True, text=True, check=False)
    lines = [line for line in result.stdout.splitlines() if line.startswith(MARK)]
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"importing {module} from the asset failed:\n{result.stderr[-3000:]}")
    return Sample(**json.loads(lines[-1][len(MARK):]))


#: The functions whose first request is timed after the cold import: (event file, what the event asks for).
FIRST_REQUESTS = {
    "routing": ("connect_inbound_voice.json", "the first decision: policy, DynamoDB client, one query"),
    "ticket-api": ("tickets/api_create_ticket.json", "the first request: POST /tickets, a ticket for a known "
                   "customer (the customer read, one transaction on the tickets and profiles tables)"),
}


def _table_seed(client: Any, table_name: str) -> dict[str, Any]:
    """A table of the local backend, as the CreateTable request that makes it again and its items."""
    table = client.describe_table(TableName=table_name)["Table"]
    create = {key: table[key] for key in ("AttributeDefinitions", "KeySchema", "TableName")}
    create["BillingMode"] = "PAY_PER_REQUEST"
    if table.get("GlobalSecondaryIndexes"):
        create["GlobalSecondaryIndexes"] = [
            {key: index[key] for key in ("IndexName", "KeySchema", "Projection")}
            for index in table["GlobalSecondaryIndexes"]]
    return {"create": create, "items": client.scan(TableName=table_name)["Items"]}


def _local_backend(seeds: Path) -> tuple[dict[str, dict[str, str]], dict[str, Path]]:
    """Each function's environment as the local backend gives it (manifest variables, wired values, table and
    queue names), and for each function of FIRST_REQUESTS a seed written under `seeds`: the tables it reads
    and writes, as the backend makes them with the demo customers loaded, in DynamoDB's wire format, and its
    event (routing: a known caller)."""
    import boto3

    from callcenter.backend import LocalBackend
    from functions.profiles.importer import import_profile_file
    from functions.storage.tables import table_env_var
    from functions.tables import TABLES

    paths = {}
    with LocalBackend(log_level="ERROR") as backend:
        environments = {name: dict(env) for name, env in backend.function_env.items()}
        backend.load_profiles(import_profile_file(REPO / "demo" / "profiles.csv").accepted)
        client = boto3.client("dynamodb", region_name=REGION)
        for name, (event_file, _) in FIRST_REQUESTS.items():
            spec = FUNCTIONS[name]
            tables = sorted({*spec.tables_read, *spec.tables_written})
            event = json.loads((REPO / "events" / event_file).read_text(encoding="utf-8"))
            if name == "routing":
                event["Details"]["ContactData"]["CustomerEndpoint"]["Address"] = KNOWN_CALLER
            paths[name] = seeds / f"{name}-seed.json"
            paths[name].write_text(json.dumps({
                "site_packages": sysconfig.get_paths()["purelib"], "region": REGION,
                "tables": [_table_seed(client, environments[name][table_env_var(TABLES[table].model)])
                           for table in tables],
                "event": event, "handler": spec.handler.rpartition(".")[2],
                "function_name": f"callcenter-bench-{spec.name}",
                "function_arn": f"arn:aws:lambda:{REGION}:123456789012:function:callcenter-bench-{spec.name}",
                "memory_mb": spec.memory_mb, "timeout_ms": spec.timeout_seconds * 1000,
            }), encoding="utf-8")
    return environments, paths


def _connect_wait_seconds(function: str) -> int:
    """The longest InvocationTimeLimitSeconds any flow gives `function`."""
    limits = []
    for flow in sorted((REPO / "infra" / "flows").glob("*.json")):
        for action in json.loads(flow.read_text(encoding="utf-8")).get("Actions", []):
            parameters = action.get("Parameters", {})
            if parameters.get("LambdaFunctionARN") == f"{{{{lambda:{function}}}}}":
                limits.append(int(parameters["InvocationTimeLimitSeconds"]))
    return max(limits)


def _verdict(value: float, goal: float) -> str:
    return "met" if value <= goal else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS, help=f"fresh processes per module (default {RUNS})")
    runs = parser.parse_args().runs

    deployed = build_lambda_asset()
    local_platform = runtime.local_pip_platform()
    twin = deployed if local_platform == runtime.PIP_PLATFORM else build_lambda_asset(
        ASSET_DIR.parent / f"lambda-{local_platform}", pip_platform=local_platform)
    size, twin_size = asset_size(deployed), asset_size(twin)

    print(f"Cold start from the Lambda asset — {runtime.RUNTIME_NAME} {runtime.ARCHITECTURE}, "
          f"bytecode compiled by Python {sys.version.split()[0]}")
    print(f"\nAsset (deployed, {runtime.PIP_PLATFORM}): {size.megabytes:.1f} MB unzipped, {size.files} files"
          f"   goal <= {ASSET_GOAL_MB:.0f} MB: {_verdict(size.megabytes, ASSET_GOAL_MB)}")
    if twin != deployed:
        print(f"Imports run from its twin for this machine ({local_platform}: same pins, removals and bytecode, "
              f"native wheels for here): {twin_size.megabytes:.1f} MB, {twin_size.files} files")

    with tempfile.TemporaryDirectory(prefix="cold-start-") as scratch:
        scratch_path = Path(scratch)
        task = _read_only_copy(twin, scratch_path / "task")
        runtime_dir = _runtime_directory(scratch_path / "runtime")
        before = _tree(task)
        environments, seeds = _local_backend(scratch_path)
        envs = {name: _lambda_environment(spec, environments[name], task, runtime_dir)
                for name, spec in FUNCTIONS.items()}
        samples: dict[str, list[Sample]] = {"boto3": [], **{name: [] for name in FUNCTIONS},
                                            **{f"floor:{label}": [] for label in FLOORS}}
        for _ in range(runs):
            samples["boto3"].append(_run(task, runtime_dir, "boto3", envs["routing"]))
            for name, spec in FUNCTIONS.items():
                module = spec.handler.rpartition(".")[0]
                samples[name].append(_run(task, runtime_dir, module, envs[name], seeds.get(name)))
            for label, (function, _, code) in FLOORS.items():
                samples[f"floor:{label}"].append(_run(task, runtime_dir, f"exec:{code}", envs[function]))
        unchanged = _tree(task) == before
        for path in [task, *task.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o200)  # so the scratch directory can be removed

    def median(name: str, field: str = "import_ms") -> float:
        return statistics.median(getattr(sample, field) for sample in samples[name])

    baseline, baseline_cpu = median("boto3"), median("boto3", "import_cpu_ms")
    compiled = max(sample.compiled for values in samples.values() for sample in values)
    print(f"\nImport, median of {runs} fresh processes each (read-only code, -B; task directory unchanged: "
          f"{'yes' if unchanged else 'NO'}; most modules compiled from source in one process: {compiled}).")
    print("Ratios are of CPU time (this machine is shared; waiting for a core is not the import's cost):")
    print(f"  {'':<44}{'wall ms':>9}{'CPU ms':>9}")
    print(f"  {'import boto3 (baseline)':<44}{baseline:>9.1f}{baseline_cpu:>9.1f}")
    for name, spec in FUNCTIONS.items():
        goal = ROUTING_GOAL if name == "routing" else OTHER_GOAL
        ratio = median(name, "import_cpu_ms") / baseline_cpu
        print(f"  {spec.handler.rpartition('.')[0]:<44}{median(name):>9.1f}{median(name, 'import_cpu_ms'):>9.1f}"
              f"  {ratio:5.2f}x boto3   goal <= {goal:.2f}x: {_verdict(ratio, goal)}")

    print("Floors: the libraries alone (no code of ours), same processes; a handler cannot go below its floor:")
    for label, (function, what, _) in FLOORS.items():
        goal = ROUTING_GOAL if function == "routing" else OTHER_GOAL
        cpu = median(f"floor:{label}", "import_cpu_ms")
        ratio = cpu / baseline_cpu
        print(f"  {label:<44}{median(f'floor:{label}'):>9.1f}{cpu:>9.1f}  {ratio:5.2f}x boto3   "
              f"(goal {goal:.2f}x: {what})")

    for name, (_, what) in FIRST_REQUESTS.items():
        _print_first_request(name, what, samples[name])


def _print_first_request(name: str, what: str, runs: list[Sample]) -> None:
    """The first request after the cold import, and the estimate of import + first request at the function's
    memory size (Lambda gives CPU in proportion to memory: one vCPU at 1,769 MB)."""
    spec = FUNCTIONS[name]
    outcomes = sorted({sample.reason or "?" for sample in runs})
    first = statistics.median(sample.first_ms or 0.0 for sample in runs)
    first_cpu = statistics.median(sample.first_cpu_ms or 0.0 for sample in runs)
    total_cpu = statistics.median(sample.import_cpu_ms for sample in runs) + first_cpu
    scale = FULL_VCPU_MB / spec.memory_mb
    estimate = total_cpu * scale / 1000
    print(f"\n{spec.handler.rpartition('.')[0]}, {what} (moto in-process):")
    print(f"  first request {first:.1f} ms wall, {first_cpu:.1f} ms CPU (answer {', '.join(outcomes)}); "
          f"import + first request {total_cpu:.1f} ms CPU")
    print(f"  at {spec.memory_mb} MB (~{spec.memory_mb / FULL_VCPU_MB:.2f} vCPU), CPU time x{scale:.2f}: "
          f"estimated {estimate:.2f} s   beside the function timeout {spec.timeout_seconds} s")
    if name != "routing":
        return
    if "PROFILE_UNAVAILABLE" in outcomes:
        print("  (the profile lookup failed in some runs: those first decisions did not reach DynamoDB)")
    connect_wait = _connect_wait_seconds(name) if isinstance(spec.source, ConnectFlowSource) else None
    if connect_wait is not None:
        print(f"  beside the flow's InvocationTimeLimitSeconds {connect_wait} s (Connect allows at most "
              f"{CONNECT_MAX_SECONDS} s): goal: import + first decision at {spec.memory_mb} MB within the flow's "
              f"{connect_wait} s: {_verdict(estimate, connect_wait)}")


if __name__ == "__main__":
    main()
