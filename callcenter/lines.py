"""The numbers of the routing policy's lines in local runs: the deployment's context, else policy.json's fictional ones.

The deployed routing function gets its line numbers from the context (`vip_line_number` -> LINE_NUMBERS, see
infra/context.py). Locally the same context is read from the repository's cdk.json, so a number set there is the one
local calls dial and route on; unset (the default), policy.json's fictional 555 number stays, and local runs and the
demo are unchanged.
"""

from __future__ import annotations

from pathlib import Path

from functions.routing.policy import RoutingPolicy
from infra.context import VIP_LINE, cdk_json_context, value_reader, vip_line_number

CDK_JSON = Path(__file__).resolve().parent.parent / "cdk.json"


def local_line_numbers(policy: RoutingPolicy, cdk_json: Path = CDK_JSON) -> dict[str, tuple[str, ...]]:
    """Every policy line with the numbers local runs use: the context's VIP number when set, else the policy's."""
    lines = dict(policy.lines)
    if VIP_LINE in lines and cdk_json.is_file():
        number = vip_line_number(value_reader(cdk_json_context(cdk_json)))
        if number:
            lines[VIP_LINE] = (number,)
    return lines
