"""Running an async command body with a ready AppContext."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click

from garrison.cli.state import CliState
from garrison.runtime.assembly import open_context
from garrison.runtime.context import AppContext
from garrison.storage.migrate import upgrade

T = TypeVar("T")


def run_with_context(
    click_ctx: click.Context,
    body: Callable[[AppContext], Awaitable[T]],
    *,
    migrate: bool = True,
) -> T:
    """Open the context from the command's settings (migrating first), run ``body``, close."""
    state = click_ctx.find_object(CliState)
    assert state is not None, "the garrison group sets up CliState"
    settings = state.settings()

    async def main() -> T:
        async with open_context(settings) as context:
            if migrate:
                await upgrade(context.engine)
            return await body(context)

    return asyncio.run(main())
