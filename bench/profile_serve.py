"""Runs ``python -m garrison ...`` under a profiler, for ``BENCH_SERVE_PROFILE``.

A path ending in ``.txt`` or ``.html``: pyinstrument (not a dependency of Garrison:
install it into the virtualenv), sampling with coroutines followed across awaits — the
clearest view of where an asyncio server spends its time. Any other path: cProfile
timed by the event loop thread's CPU time, statistics for ``pstats``.
Run: ``python -m bench.profile_serve OUT garrison-arguments...``.
"""

from __future__ import annotations

import contextlib
import cProfile
import importlib
import runpy
import sys
import time
from pathlib import Path


def _run_garrison() -> None:
    with contextlib.suppress(SystemExit):
        runpy.run_module("garrison", run_name="__main__", alter_sys=True)


def main() -> None:
    out = Path(sys.argv[1])
    sys.argv = ["garrison", *sys.argv[2:]]
    if out.suffix in {".txt", ".html"}:
        # Optional, for this tool only: imported by name so that type checks need it not.
        pyinstrument = importlib.import_module("pyinstrument")
        sampler = pyinstrument.Profiler(interval=0.001, async_mode="enabled")
        sampler.start()
        try:
            _run_garrison()
        finally:
            sampler.stop()
            if out.suffix == ".html":
                out.write_text(sampler.output_html(), encoding="utf-8")
            else:
                out.write_text(sampler.output_text(unicode=True, show_all=False), encoding="utf-8")
        return
    profile = cProfile.Profile(time.thread_time)
    profile.enable()
    try:
        _run_garrison()
    finally:
        profile.disable()
        profile.dump_stats(out)


if __name__ == "__main__":
    main()
