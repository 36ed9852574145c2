"""From a user row to a Principal, and what a signed-in user may not do yet."""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum
from typing import Literal

from garrison.auth.models import User
from garrison.auth.permissions import Permission, Role, permissions_for
from garrison.auth.principal import Principal
from garrison.i18n import gettext as _


class AccessRestriction(StrEnum):
    """Why a signed-in user may, for now, use only their own account's pages."""

    MUST_CHANGE_PASSWORD = "must_change_password"  # noqa: S105 (a reason, not a secret)
    TOTP_ENROLLMENT_REQUIRED = "totp_enrollment_required"

    def explain(self) -> str:
        if self is AccessRestriction.MUST_CHANGE_PASSWORD:
            return _("You must set a new password before doing anything else.")
        return _("You must set up two-factor authentication before doing anything else.")


def restriction_for(
    user: User, *, totp_required_roles: Collection[Role]
) -> AccessRestriction | None:
    if user.must_change_password:
        return AccessRestriction.MUST_CHANGE_PASSWORD
    if Role(user.role) in totp_required_roles and not user.totp_enabled:
        return AccessRestriction.TOTP_ENROLLMENT_REQUIRED
    return None


def build_principal(
    user: User,
    *,
    via: Literal["session", "token"],
    restricted: bool,
    session_id: int | None = None,
    token_id: int | None = None,
    scopes: frozenset[Permission] | None = None,
) -> Principal:
    """A restricted principal holds no permission at all, whatever code checks it."""
    granted = permissions_for(Role(user.role))
    if scopes is not None:
        granted = granted & scopes
    return Principal(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        permissions=frozenset() if restricted else granted,
        via=via,
        session_id=session_id,
        token_id=token_id,
    )
