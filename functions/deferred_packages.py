"""Third-party packages whose `__init__` runs only when something the `__init__` itself provides is asked for.

Why: importing `a.b.c` runs `a/b/__init__.py` first, and some packages' `__init__` imports everything they have.
Our handlers import the one submodule they use, yet paid for all of it at cold start:
- `phonenumbers`: its `__init__` imports the as-you-type formatter, the short-number tables and the matcher
  (which compile dozens of regular expressions and build the alternate formats of 46 countries); we parse,
  validate and format (`phonenumbers.phonenumberutil`) and read time zones (`phonenumbers.timezone`);
- `aws_lambda_powertools.event_handler`: its `__init__` imports every resolver (AppSync's brings `asyncio`,
  Bedrock's, VPC Lattice's...); the tickets API uses the REST resolver (`event_handler.api_gateway`);
- `aws_lambda_powertools.utilities.data_classes`: its `__init__` imports the data class of every event source;
  we use the SQS, DynamoDB stream, EventBridge and API Gateway ones;
- `asyncio`: imported (not used) by Powertools' batch processor and AppSync resolver, for their async variants.

How: `defer()` puts in `sys.modules` the package's module object, made from its real spec (so `__path__`,
`__spec__` and `__file__` are the package's own), without running its `__init__`. Importing a submodule
(`import phonenumbers.phonenumberutil`) works as usual: the import system needs only `__path__`. The first
attribute the module does not have yet is resolved, in order:
1. a name listed in KNOWN_EXPORTS: imported from the submodule that defines it (the same object the
   `__init__` re-exports, checked by tests/unit/test_deferred_packages.py);
2. a submodule of that name (`from aws_lambda_powertools.event_handler import content_types`);
3. anything else: the package's real `__init__` runs, into the same module object, and the attribute is read
   from it, so `import phonenumbers; phonenumbers.AsYouTypeFormatter(...)` works as ever, only later.
So nothing changes for code that uses these packages through their `__init__`: it pays the same cost, when it
first does so (tests/unit/test_deferred_packages.py). Only packages whose `__init__` does nothing but import
and name things are listed: read a package's `__init__` before adding it here.

`defer()` runs when `functions` is imported (functions/__init__.py), before any handler imports these packages,
in Lambda as in the tests and the local runtime. A package already imported is left as it is.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types

#: Deferred packages, in an order where each one's parent can be imported normally.
DEFERRED = (
    "asyncio",
    "phonenumbers",
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.utilities.data_classes",
)

#: Names that our code or the libraries it uses import from a deferred package's `__init__` on the way to a
#: handler, with the submodule that defines each. A name not here is still found (rule 3 above), at the
#: price of the whole `__init__`.
KNOWN_EXPORTS: dict[str, dict[str, str]] = {
    "aws_lambda_powertools.utilities.data_classes": {
        "ALBEvent": "alb_event",
        "APIGatewayProxyEvent": "api_gateway_proxy_event",
        "APIGatewayProxyEventV2": "api_gateway_proxy_event",
        "BedrockAgentEvent": "bedrock_agent_event",
        "DynamoDBStreamEvent": "dynamo_db_stream_event",
        "EventBridgeEvent": "event_bridge_event",
        "KinesisStreamEvent": "kinesis_stream_event",
        "LambdaFunctionUrlEvent": "lambda_function_url_event",
        "S3Event": "s3_event",
        "SNSEvent": "sns_event",
        "SQSEvent": "sqs_event",
        "SQSRecord": "sqs_event",
        "VPCLatticeEvent": "vpc_lattice",
        "VPCLatticeEventV2": "vpc_lattice",
    },
    "aws_lambda_powertools.event_handler": {
        "ApiGatewayResolver": "api_gateway",
        "APIGatewayRestResolver": "api_gateway",
        "Response": "api_gateway",
    },
}


class _DeferredPackage(types.ModuleType):
    """A package module whose `__init__` has not run yet (see the module docstring)."""

    def __getattr__(self, attribute: str) -> object:
        name = self.__name__
        submodule = KNOWN_EXPORTS.get(name, {}).get(attribute)
        if submodule is not None:
            value = getattr(importlib.import_module(f"{name}.{submodule}"), attribute)
            setattr(self, attribute, value)
            return value
        if not attribute.startswith("__") and importlib.util.find_spec(f"{name}.{attribute}") is not None:
            return importlib.import_module(f"{name}.{attribute}")
        with _LOCK:
            if name in _RUNNING:  # its own __init__, part way, asking for a name it has not set yet
                raise AttributeError(f"partially initialised module {name!r} has no attribute {attribute!r}")
            if isinstance(self, _DeferredPackage):  # not done meanwhile by another thread
                _initialise(self)
        return getattr(self, attribute)


#: Held while a package's `__init__` runs, so another thread asking for one of its names waits for it.
_LOCK = threading.RLock()
_RUNNING: set[str] = set()


def _initialise(module: types.ModuleType) -> None:
    """Run the package's own `__init__` into `module`; from then on it is an ordinary module."""
    spec = module.__spec__
    assert spec is not None and spec.loader is not None
    _RUNNING.add(module.__name__)
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module.__name__, None)  # as a failed import leaves it: the next import tries again
        raise
    finally:
        _RUNNING.discard(module.__name__)
    module.__class__ = types.ModuleType


def defer(name: str) -> types.ModuleType | None:
    """Register `name` as a deferred package (see the module docstring); None if it is not installed.

    A package already imported is returned as it is."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.submodule_search_locations is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    module.__class__ = _DeferredPackage
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)
    return module


def is_initialised(name: str) -> bool:
    """Whether the package's `__init__` has run (False for a package still deferred or not imported)."""
    module = sys.modules.get(name)
    return module is not None and not isinstance(module, _DeferredPackage)


def defer_all() -> None:
    for name in DEFERRED:
        defer(name)
