"""Caches for work moto repeats on every request although its result cannot change (moto 5.2.5).

Neither changes what moto answers, only how often it recomputes the same thing:

- `jsonpath_ng.ext.parse` memoized by path. moto's EventBridge (`EventTemplateParser.parse`) parses each
  path of a target's input map (nine for the default template) on every event and every target, and each
  parse builds a new PLY parser: a few milliseconds per path. The same path gives an equal expression
  (`find` does not change it), so the events moto delivers are the same.
- `moto.core.responses.method_names_from_class` memoized by class. moto lists a response class's
  methods with `inspect.getmembers` on every request, to check the action is one of them; a class's
  methods do not change while the process runs.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    import jsonpath_ng.ext
    import moto.core.responses

    parse = jsonpath_ng.ext.parse
    method_names = moto.core.responses.method_names_from_class

    @lru_cache(maxsize=256)
    def cached_parse(path: str, debug: bool | None = None) -> Any:
        return parse(path, debug)

    @lru_cache(maxsize=512)
    def cached_method_names(clazz: type) -> frozenset[str]:
        return frozenset(method_names(clazz))

    jsonpath_ng.ext.parse = cached_parse
    moto.core.responses.method_names_from_class = cached_method_names  # type: ignore[assignment]
    _installed = True
