"""moto's EventBridge parses the same JSONPath expressions again for every event it routes: parse each once.

moto 5.2.5 (`moto.events.utils.EventTemplateParser.parse`) calls `jsonpath_ng.ext.parse` for each path
of a target's input map (nine for the default template) on every event and every target, and each call
builds a new parser (PLY tables read again): a few milliseconds per path, a large share of a simulated
day's PutEvents. `install()` memoizes `jsonpath_ng.ext.parse` by path: the same path gives an equal
expression (a JSONPath expression is not changed by `find`), so the events moto delivers are the same.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

_original: Any = None


def install() -> None:
    global _original
    import jsonpath_ng.ext

    if _original is not None:
        return
    _original = jsonpath_ng.ext.parse

    @lru_cache(maxsize=256)
    def parse(path: str, debug: bool | None = None) -> Any:
        return _original(path, debug)

    jsonpath_ng.ext.parse = parse
