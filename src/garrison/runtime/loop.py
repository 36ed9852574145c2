"""The event loop a Garrison process runs on: uvloop where it is installed, else asyncio's own.

uvloop (libuv) runs the same coroutines with a much cheaper loop: timers,
callbacks and connections cost a fraction of the pure-Python selector loop's CPU,
which is most of what a probe engine running thousands of checks does. It is a
pinned dependency on the platforms it supports; anywhere else (or with
``GARRISON_EVENT_LOOP=asyncio``) the default loop runs everything unchanged.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

ENVIRONMENT_VARIABLE = "GARRISON_EVENT_LOOP"


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop constructor when it is installed and not turned off, else None."""
    if os.environ.get(ENVIRONMENT_VARIABLE, "").strip().lower() == "asyncio":
        return None
    try:
        import uvloop  # noqa: PLC0415 - optional: absent on platforms without a build
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def loop_name() -> str:
    """``uvloop`` or ``asyncio``: the loop :func:`run` would use."""
    return "asyncio" if loop_factory() is None else "uvloop"


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on the best loop available."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
