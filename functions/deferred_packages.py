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

How: `defer_all()` puts a finder first on `sys.meta_path`. When one of these packages is first imported, the
finder takes the spec the other finders give and lets the import system make the module from it as usual
(`__path__`, `__spec__`, `__file__` and `__loader__` are the package's own), but does not run its `__init__`.
Nothing is imported ahead of time: a process that never imports these packages never loads them. Importing a
submodule (`import phonenumbers.phonenumberutil`) works as usual: the import system needs only `__path__`. The
first attribute the module does not have yet is resolved, in order:
1. a name listed in KNOWN_EXPORTS: imported from the submodule that defines it (the same object the
   `__init__` re-exports, checked by tests/unit/test_deferred_packages.py);
2. a submodule of that name (`from aws_lambda_powertools.event_handler import content_types`);
3. anything else: the package's real `__init__` runs, into the same module object, and the attribute is read
   from it, so `import phonenumbers; phonenumbers.AsYouTypeFormatter(...)` works as ever, only later.
So nothing changes for code that uses these packages through their `__init__`: it pays the same cost, when it
first does so (tests/unit/test_deferred_packages.py). Only packages whose `__init__` does nothing but import
and name things are listed: read a package's `__init__` before adding it here.

`defer_all()` runs when `functions` is imported (functions/__init__.py), before any handler imports these
packages, in Lambda as in the tests and the local runtime. A package imported before that is left as it is.
"""

from __future__ import annotations

import importlib
import sys
import threading
import types
from typing import Any

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
        from importlib.util import find_spec

        if not attribute.startswith("__") and find_spec(f"{name}.{attribute}") is not None:
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


class _DeferringLoader:
    """Makes the module as the package's own loader would, and leaves its `__init__` for later."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader

    def create_module(self, spec: Any) -> types.ModuleType | None:
        return self.loader.create_module(spec)  # type: ignore[no-any-return]

    def exec_module(self, module: types.ModuleType) -> None:
        assert module.__spec__ is not None
        module.__spec__.loader = module.__loader__ = self.loader  # the package's own, for its __init__ later
        module.__class__ = _DeferredPackage


class _DeferringFinder:
    """First on sys.meta_path: for a name of DEFERRED, the spec the other finders give, with a deferring loader."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name not in DEFERRED:
            return None
        for finder in sys.meta_path:
            find_spec = getattr(finder, "find_spec", None)
            if finder is self or find_spec is None:
                continue
            spec = find_spec(name, path, target)
            if spec is not None:
                if spec.loader is not None and spec.submodule_search_locations is not None:
                    spec.loader = _DeferringLoader(spec.loader)
                return spec
        return None


_FINDER = _DeferringFinder()


def is_initialised(name: str) -> bool:
    """Whether the package's `__init__` has run (False for a package still deferred or not imported)."""
    module = sys.modules.get(name)
    return module is not None and not isinstance(module, _DeferredPackage)


def defer_all() -> None:
    """Install the deferring finder (once): the packages of DEFERRED imported from now on are deferred."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
