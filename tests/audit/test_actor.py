from __future__ import annotations

import dataclasses

import pytest

from garrison.audit.actor import Actor
from garrison.auth.permissions import Role, permissions_for
from garrison.auth.principal import Principal


def test_an_actor_from_a_principal_is_the_user() -> None:
    principal = Principal(
        user_id=12,
        username="lan",
        role=Role.LEADER,
        permissions=permissions_for(Role.LEADER),
        via="token",
        token_id=3,
    )
    assert Actor.from_principal(principal) == Actor(kind="user", id="12", name="lan")


def test_system_and_cli_actors() -> None:
    assert Actor.system("config-sync") == Actor(kind="system", id=None, name="config-sync")
    assert Actor.cli("root") == Actor(kind="cli", id=None, name="root")


def test_an_actor_is_frozen() -> None:
    actor = Actor.cli("root")
    with pytest.raises(dataclasses.FrozenInstanceError):
        actor.name = "other"  # type: ignore[misc]
