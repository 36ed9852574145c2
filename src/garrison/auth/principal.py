"""Who is acting: the authenticated user behind a request or a command."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from garrison.auth.permissions import Permission, Role


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    username: str
    role: Role
    permissions: frozenset[Permission]
    via: Literal["session", "token"]
    session_id: int | None = None
    token_id: int | None = None

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions


@dataclass(frozen=True, slots=True)
class RequestOrigin:
    """Where a change came from, kept with its audit entry."""

    address: str | None
    user_agent: str | None = None
    request_id: str | None = None
    channel: Literal["web", "api", "cli", "system"] = "api"
