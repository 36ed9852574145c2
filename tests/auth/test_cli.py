from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from garrison.audit.actor import Actor
from garrison.auth.permissions import Role
from garrison.cli.init_cmd import create_first_admin
from garrison.cli.main import cli
from garrison.cli.user_cmd import (
    add_user,
    format_user,
    list_all_users,
    reset_user_totp,
    set_user_disabled,
    set_user_password,
)
from garrison.errors import ConflictError, NotFoundError, ValidationFailed
from garrison.runtime.context import AppContext
from tests.auth.factories import audit_actions, load_user, make_user

OPERATOR = Actor.cli("ops")


async def test_first_admin_gets_a_one_time_password_and_init_runs_once(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    one_time = await create_first_admin(context, username="admin", actor=OPERATOR)
    admin = await load_user(context, "admin")
    assert admin.role == Role.ADMIN.value
    assert admin.must_change_password
    login = await client.post(
        "/api/v1/auth/login", json={"username": "admin", "password": one_time}
    )
    assert login.json()["restriction"] == "must_change_password"
    with pytest.raises(ConflictError):
        await create_first_admin(context, username="other", actor=OPERATOR)
    entry = (await audit_actions(context, target_id="admin"))[0]
    assert entry.action == "user.created"
    assert entry.actor_kind == "cli"
    assert entry.actor_name == "ops"


async def test_user_commands(context: AppContext) -> None:
    one_time = await add_user(
        context, username="duty", role=Role.DUTY_OFFICER, display_name="Duty", actor=OPERATOR
    )
    assert len(one_time) >= 16
    with pytest.raises(ValidationFailed):
        await set_user_password(context, username="duty", new_password="short", actor=OPERATOR)
    assert (
        await set_user_password(
            context, username="duty", new_password="a long enough secret", actor=OPERATOR
        )
        is None
    )
    assert not (await load_user(context, "duty")).must_change_password
    generated = await set_user_password(context, username="duty", new_password=None, actor=OPERATOR)
    assert generated is not None
    assert (await load_user(context, "duty")).must_change_password
    await set_user_disabled(context, username="duty", disabled=True, actor=OPERATOR)
    [listed] = await list_all_users(context)
    assert "disabled" in format_user(listed)
    await set_user_disabled(context, username="duty", disabled=False, actor=OPERATOR)
    await make_user(context, "phone", totp=True)
    await reset_user_totp(context, username="phone", actor=OPERATOR)
    assert not (await load_user(context, "phone")).totp_enabled
    with pytest.raises(NotFoundError):
        await set_user_disabled(context, username="ghost", disabled=True, actor=OPERATOR)
    actions = [e.action for e in await audit_actions(context, target_id="duty")]
    assert actions == [
        "user.created",
        "user.password.set",
        "user.password.reset",
        "user.disabled",
        "user.enabled",
    ]


def test_init_and_user_add_through_the_command_line(tmp_path: Path) -> None:
    runner = CliRunner()
    data_dir = tmp_path / "fresh"
    result = runner.invoke(cli, ["--data-dir", str(data_dir), "init"])
    assert result.exit_code == 0, result.output
    assert (data_dir / "garrison.db").exists()
    assert "admin" in result.output
    password_line = result.output.strip().splitlines()[-1].strip()
    assert len(password_line) >= 16
    again = runner.invoke(cli, ["--data-dir", str(data_dir), "init"])
    assert again.exit_code == 1
    added = runner.invoke(
        cli, ["--data-dir", str(data_dir), "user", "add", "lena", "--role", "leader"]
    )
    assert added.exit_code == 0, added.output
    prompted = runner.invoke(
        cli,
        ["--data-dir", str(data_dir), "user", "passwd", "lena"],
        input="a long enough secret\na long enough secret\n",
    )
    assert prompted.exit_code == 0, prompted.output
    assert "a long enough secret" not in prompted.output
    listed = runner.invoke(cli, ["--data-dir", str(data_dir), "user", "list"])
    assert "lena" in listed.output
    assert "admin" in listed.output
    disabled = runner.invoke(cli, ["--data-dir", str(data_dir), "user", "disable", "lena"])
    assert disabled.exit_code == 0
    missing = runner.invoke(cli, ["--data-dir", str(data_dir), "user", "enable", "ghost"])
    assert missing.exit_code == 1
