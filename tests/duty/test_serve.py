"""`garrison serve` with the demo event runs the duty worker and answers the duty API."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from garrison.audit.actor import Actor
from garrison.auth.permissions import Role, permissions_for
from garrison.auth.tokens import create_token
from garrison.auth.users import create_user
from garrison.runtime.assembly import open_context
from garrison.settings import Settings
from garrison.storage.migrate import upgrade
from tests.process import running_garrison, wait_ready

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-event.yaml"


async def _observer_token(settings: Settings) -> str:
    async with open_context(settings) as context:
        await upgrade(context.engine)
        now = context.clock.now()
        async with context.sessions() as session:
            user, _password = await create_user(
                session,
                username="ngoc.lt",
                role=Role.OBSERVER,
                display_name=None,
                actor=Actor.system("test"),
                now=now,
            )
            user.must_change_password = False
            created = await create_token(
                session,
                owner=user,
                name="test",
                scopes=permissions_for(Role.OBSERVER),
                granted=permissions_for(Role.OBSERVER),
                expires_at=now + timedelta(days=1),
                actor=Actor.system("test"),
                now=now,
            )
            await session.commit()
        return created.secret


@pytest.mark.slow
async def test_serve_runs_the_duty_worker_with_the_demo_event(
    settings: Settings, database_url: str, tmp_path: Path
) -> None:
    token = await _observer_token(settings)
    async with running_garrison(
        data_dir=settings.data_dir,
        database_url=database_url,
        log_path=tmp_path / "serve.log",
        config=DEMO,
    ) as running:
        ready = await asyncio.wait_for(wait_ready(running.port), 60)
        workers = ready["workers"]
        assert isinstance(workers, dict)
        assert workers["duty"] is True
        async with httpx.AsyncClient(base_url=running.url) as client:
            headers = {"Authorization": f"Bearer {token}"}
            posts = await client.get("/api/v1/duty/posts", headers=headers)
            coverage = await client.get("/api/v1/duty/coverage", headers=headers)
        running.process.terminate()
        await asyncio.wait_for(running.process.wait(), 30)
    assert posts.status_code == 200, posts.text
    assert [post["post_id"] for post in posts.json()] == [
        "shift-command",
        "noc",
        "soc",
        "press-desk",
        "video-desk",
    ]
    assert coverage.json()["covered"] is True
