"""argon2 runs in worker threads: creating users, resetting, changing and checking passwords
over HTTP never hashes or verifies on the event loop's thread."""

from __future__ import annotations

import asyncio
import threading
from typing import Literal

import httpx
import pytest
from argon2 import PasswordHasher

from garrison.auth import passwords
from garrison.auth.permissions import Role
from garrison.runtime.context import AppContext
from tests.auth.factories import bearer, log_in, make_token, make_user

# Generous: the hasher waits this long for the loop to show it still runs.
LOOP_WAIT_SECONDS = 10.0


class RecordingHasher(PasswordHasher):
    """The cheap test hasher, noting which thread each hash and verify ran on."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.calls: list[tuple[str, int]] = []

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self.calls.append(("hash", threading.get_ident()))
        return super().hash(password, salt=salt)

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.calls.append(("verify", threading.get_ident()))
        return super().verify(hash, password)


class LoopWatchingHasher(RecordingHasher):
    """Hashes only once the event loop has run again after the hash began (or gives up)."""

    def __init__(self) -> None:
        super().__init__()
        self.hashing = threading.Event()
        self.loop_ran = threading.Event()
        self.loop_ran_while_hashing: list[bool] = []

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self.loop_ran.clear()
        self.hashing.set()
        try:
            self.loop_ran_while_hashing.append(self.loop_ran.wait(LOOP_WAIT_SECONDS))
        finally:
            self.hashing.clear()
        return super().hash(password, salt=salt)


@pytest.fixture
async def admin_token(context: AppContext) -> str:
    await make_user(context, "root", role=Role.ADMIN)
    return await make_token(context, "root")


async def test_password_work_over_http_runs_off_the_event_loop(
    client: httpx.AsyncClient,
    context: AppContext,
    admin_token: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hasher = RecordingHasher()
    monkeypatch.setattr(passwords, "password_hasher", lambda: hasher)
    loop_thread = threading.get_ident()

    created = await client.post(
        "/api/v1/users", json={"username": "lena", "role": "leader"}, headers=bearer(admin_token)
    )
    assert created.status_code == 201
    reset = await client.post("/api/v1/users/lena/reset-password", headers=bearer(admin_token))
    assert reset.status_code == 200
    one_time = reset.json()["one_time_password"]
    csrf = await log_in(client, "lena", one_time)
    changed = await client.post(
        "/api/v1/me/password",
        json={"current_password": one_time, "new_password": "a long new password"},
        headers={"X-CSRF-Token": csrf},
    )
    assert changed.status_code == 200
    refused = await client.post(
        "/api/v1/auth/login", json={"username": "nobody", "password": "a long new password"}
    )
    assert refused.status_code == 401

    kinds = [kind for kind, _thread in hasher.calls]
    # create, reset, login, change (verify the current, hash the new), unknown user
    assert kinds.count("hash") >= 3
    assert kinds.count("verify") >= 3
    assert [thread for _kind, thread in hasher.calls if thread == loop_thread] == []


async def test_the_loop_keeps_running_while_a_new_user_is_hashed(
    client: httpx.AsyncClient,
    context: AppContext,
    admin_token: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hasher = LoopWatchingHasher()
    monkeypatch.setattr(passwords, "password_hasher", lambda: hasher)
    stop = asyncio.Event()

    async def tick() -> None:
        # Runs only when the loop is free: a hash on the loop would never see it.
        while not stop.is_set():
            if hasher.hashing.is_set():
                hasher.loop_ran.set()
            await asyncio.sleep(0.001)

    ticker = asyncio.create_task(tick())
    try:
        created = await client.post(
            "/api/v1/users",
            json={"username": "duty.1", "role": "duty_officer"},
            headers=bearer(admin_token),
        )
    finally:
        stop.set()
        await ticker
    assert created.status_code == 201
    assert hasher.loop_ran_while_hashing == [True]
