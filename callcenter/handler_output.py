"""What the local handlers print: their stdout, captured per invocation (EMF metrics and log lines).

Powertools' Logger binds the stream it writes to when it is created (at the first import of
functions/common/observability.py), which in the local runtime happens inside some invocation. So every
invocation writes to the one `HANDLER_STDOUT` object, which hands the text to the buffer of the invocation
running now, and the shared logger is pointed at it (at the backend's log level) while a backend runs, also
when a test created it earlier.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Callable, Iterator


class HandlerStdout(io.TextIOBase):
    def __init__(self) -> None:
        self._buffer: io.StringIO | None = None

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        target = self._buffer
        if target is None:  # between invocations: wherever stdout goes now
            target = sys.stdout if sys.stdout is not self else sys.__stdout__
        return target.write(text) if target is not None else len(text)

    @contextlib.contextmanager
    def capturing(self) -> Iterator[io.StringIO]:
        """Within the block, stdout (and the shared logger) write to the buffer yielded."""
        previous, self._buffer = self._buffer, io.StringIO()
        buffer = self._buffer
        try:
            with contextlib.redirect_stdout(self):
                yield buffer
        finally:
            self._buffer = previous


HANDLER_STDOUT = HandlerStdout()


def bind_shared_logger(level: str) -> Callable[[], None]:
    """Point the functions' shared Logger, if it exists yet, at HANDLER_STDOUT at `level`; returns the undo."""
    observability = sys.modules.get("functions.common.observability")
    if observability is None:  # it will be created inside an invocation, at the level of the environment
        return lambda: None
    logger = observability.logger
    handler = logger.registered_handler
    saved_stream, saved_level = handler.stream, logger.log_level
    handler.stream = HANDLER_STDOUT
    logger.setLevel(level)

    def restore() -> None:
        handler.stream = saved_stream
        logger.setLevel(saved_level)

    return restore
