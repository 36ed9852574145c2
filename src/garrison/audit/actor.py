"""Who did something, as the audit log records it: a user, a system job or a CLI operator."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from garrison.auth.principal import Principal

ActorKind = Literal["user", "system", "cli"]


@dataclass(frozen=True, slots=True)
class Actor:
    kind: ActorKind
    id: str | None
    name: str

    @classmethod
    def from_principal(cls, principal: Principal) -> Actor:
        return cls(kind="user", id=str(principal.user_id), name=principal.username)

    @classmethod
    def system(cls, name: str) -> Actor:
        return cls(kind="system", id=None, name=name)

    @classmethod
    def cli(cls, os_user: str) -> Actor:
        return cls(kind="cli", id=None, name=os_user)
