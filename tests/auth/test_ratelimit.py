from __future__ import annotations

import httpx

from garrison.clock import ManualClock
from garrison.runtime.context import AppContext
from tests.auth.factories import PASSWORD, client_from, make_user


async def _attempt(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}
    )


async def test_too_many_failures_for_an_account_lock_it_until_the_window_passes(
    client: httpx.AsyncClient, context: AppContext, clock: ManualClock
) -> None:
    await make_user(context, "alice")
    limit = context.settings.login_max_failures_per_account
    for _ in range(limit):
        assert (await _attempt(client, "alice", "wrong password!!")).status_code == 401
        clock.advance(10)
    blocked = await _attempt(client, "alice", PASSWORD)
    assert blocked.status_code == 429
    retry_after = int(blocked.headers["retry-after"])
    window = context.settings.login_window_seconds
    # Blocked until the oldest failure (made limit*10 s ago) leaves the window.
    assert retry_after == window - limit * 10
    # Another address is refused too: the limit is the account's.
    async with client_from(context, "198.51.100.7") as elsewhere:
        assert (await _attempt(elsewhere, "alice", PASSWORD)).status_code == 429
    clock.advance(retry_after)
    assert (await _attempt(client, "alice", PASSWORD)).status_code == 200


async def test_refused_attempts_do_not_extend_the_lockout(
    client: httpx.AsyncClient, context: AppContext, clock: ManualClock
) -> None:
    await make_user(context, "alice")
    for _ in range(context.settings.login_max_failures_per_account):
        await _attempt(client, "alice", "wrong password!!")
    for _ in range(10):
        clock.advance(60)
        assert (await _attempt(client, "alice", "wrong password!!")).status_code == 429
    clock.advance(context.settings.login_window_seconds - 600)
    assert (await _attempt(client, "alice", PASSWORD)).status_code == 200


async def test_a_success_ends_the_accounts_run_of_failures(
    client: httpx.AsyncClient, context: AppContext, clock: ManualClock
) -> None:
    await make_user(context, "alice")
    limit = context.settings.login_max_failures_per_account
    for _ in range(limit - 1):
        await _attempt(client, "alice", "wrong password!!")
    clock.advance(1)
    assert (await _attempt(client, "alice", PASSWORD)).status_code == 200
    clock.advance(1)
    for _ in range(limit - 1):
        assert (await _attempt(client, "alice", "wrong password!!")).status_code == 401
    assert (await _attempt(client, "alice", PASSWORD)).status_code == 200


async def test_too_many_failures_from_an_address_block_it_even_with_a_right_password(
    context: AppContext, clock: ManualClock
) -> None:
    context.settings = context.settings.model_copy(
        update={"login_max_failures_per_address": 4, "login_max_failures_per_account": 100}
    )
    await make_user(context, "alice")
    async with client_from(context, "203.0.113.9") as attacker:
        for name in ("bob", "carol", "dave"):
            assert (await _attempt(attacker, name, "guess guess guess")).status_code == 401
        # A success does not reset the address's count...
        assert (await _attempt(attacker, "alice", PASSWORD)).status_code == 200
        assert (await _attempt(attacker, "erin", "guess guess guess")).status_code == 401
        # ...so the fourth failure blocks the address, right password or not.
        blocked = await _attempt(attacker, "alice", PASSWORD)
        assert blocked.status_code == 429
        assert int(blocked.headers["retry-after"]) > 0
    async with client_from(context, "203.0.113.10") as neighbour:
        assert (await _attempt(neighbour, "alice", PASSWORD)).status_code == 200
    clock.advance(context.settings.login_window_seconds + 1)
    async with client_from(context, "203.0.113.9") as attacker:
        assert (await _attempt(attacker, "alice", PASSWORD)).status_code == 200


async def test_the_count_survives_a_restart(context: AppContext) -> None:
    await make_user(context, "alice")
    async with client_from(context, "127.0.0.1") as first_process:
        for _ in range(context.settings.login_max_failures_per_account):
            await _attempt(first_process, "alice", "wrong password!!")
    async with client_from(context, "127.0.0.1") as second_process:
        assert (await _attempt(second_process, "alice", PASSWORD)).status_code == 429
