"""A ContactEnvironment made of stand-ins, to run any flow file without an AWS account or our handlers.

Lambda answers come from what the caller gives (matched by the function's name in the ARN, or by the
placeholder name); a Lambda with no answer fails, so the flow takes its error branch. Queues are
known by the last part of their ARN (or placeholder name); hours are open unless said closed (by queue
or hours name); a queue said full is at capacity. Placeholders ({{kind:name}}) get stand-in ARNs that
keep the name, so the same names work for our flow files and for a user's export.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flowlang.contact import LambdaInvocationError
from flowlang.flow import Placeholder

STAND_IN_ACCOUNT = "arn:aws:connect:us-east-1:000000000000:instance/stand-in"
STAND_IN_ARNS = {
    "lambda": "arn:aws:lambda:us-east-1:000000000000:function:{name}",
    "queue": STAND_IN_ACCOUNT + "/queue/{name}",
    "hours": STAND_IN_ACCOUNT + "/operating-hours/{name}",
    "flow": STAND_IN_ACCOUNT + "/contact-flow/{name}",
    "view": STAND_IN_ACCOUNT + "/view/{name}",
}


def stand_in_arn(placeholder: Placeholder) -> str:
    """An ARN for a placeholder that keeps its name (prompts are resolved from the catalog before this)."""
    pattern = STAND_IN_ARNS.get(placeholder.kind)
    if pattern is None:
        raise KeyError(f"no stand-in for {placeholder}")
    return pattern.format(name=placeholder.name)


def last_part(arn: str) -> str:
    """A function's name from its ARN, a queue's or hours' id from theirs (or the text itself)."""
    return arn.rsplit("/", 1)[-1].rsplit(":function:", 1)[-1]


@dataclass
class StandInEnvironment:
    lambda_answers: Mapping[str, Any] = field(default_factory=dict)  # function name -> its answer
    hours: Mapping[str, bool] = field(default_factory=dict)  # queue or hours name -> open?
    full_queues: frozenset[str] = frozenset()
    invoked: list[str] = field(default_factory=list)

    def invoke_lambda(self, function_arn: str, event: dict[str, Any], time_limit_seconds: float) -> Any:
        name = last_part(function_arn).split(":", 1)[0]
        self.invoked.append(name)
        if name not in self.lambda_answers:
            raise LambdaInvocationError("error", f"no answer given for function {name} (--lambda {name}=FILE)")
        return self.lambda_answers[name]

    def queue_name(self, queue_arn: str) -> str | None:
        return last_part(queue_arn) or None

    def hours_open(self, queue_arn: str | None, hours_id: str | None, at: datetime) -> bool:
        for reference in (hours_id, queue_arn):
            if reference and last_part(reference) in self.hours:
                return self.hours[last_part(reference)]
        return True

    def queue_at_capacity(self, queue_arn: str) -> bool:
        return last_part(queue_arn) in self.full_queues
