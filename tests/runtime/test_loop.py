"""The event loop of a Garrison process: uvloop where installed, asyncio's own on request."""

from __future__ import annotations

import asyncio

import pytest

from garrison.runtime import loop


async def _loop_module() -> str:
    await asyncio.sleep(0)
    return type(asyncio.get_running_loop()).__module__


def test_uvloop_runs_the_process_where_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("uvloop")
    monkeypatch.delenv(loop.ENVIRONMENT_VARIABLE, raising=False)
    assert loop.loop_name() == "uvloop"
    assert loop.run(_loop_module()).startswith("uvloop")


def test_the_default_loop_is_kept_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(loop.ENVIRONMENT_VARIABLE, "asyncio")
    assert loop.loop_factory() is None
    assert loop.loop_name() == "asyncio"
    assert loop.run(_loop_module()).startswith("asyncio")
