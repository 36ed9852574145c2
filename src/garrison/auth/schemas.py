"""Request and response bodies of the authentication and user API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from garrison.auth.access import AccessRestriction
from garrison.auth.models import (
    DISPLAY_NAME_MAX_LENGTH,
    TOKEN_NAME_MAX_LENGTH,
    USERNAME_MAX_LENGTH,
    ApiToken,
    User,
)
from garrison.auth.passwords import PASSWORD_MAX_LENGTH
from garrison.auth.permissions import Permission, Role
from garrison.auth.tokens import MAX_TOKEN_LIFETIME

Language = Literal["en", "vi"]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginIn(_Input):
    username: str = Field(max_length=USERNAME_MAX_LENGTH * 2)
    password: str = Field(max_length=PASSWORD_MAX_LENGTH)
    totp_code: str | None = Field(default=None, max_length=16)


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: Role
    disabled: bool
    language: str
    totp_enabled: bool
    must_change_password: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=Role(user.role),
            disabled=user.disabled,
            language=user.language,
            totp_enabled=user.totp_enabled,
            must_change_password=user.must_change_password,
            created_at=user.created_at,
            updated_at=user.updated_at,
        )


class LoginOut(BaseModel):
    user: UserOut
    csrf_token: str
    expires_at: datetime
    restriction: AccessRestriction | None


class MeOut(BaseModel):
    user: UserOut
    permissions: list[Permission]
    via: Literal["session", "token"]
    restriction: AccessRestriction | None


class ProfileIn(_Input):
    language: Language | None = None
    display_name: str | None = Field(default=None, max_length=DISPLAY_NAME_MAX_LENGTH)


class PasswordChangeIn(_Input):
    current_password: str = Field(max_length=PASSWORD_MAX_LENGTH)
    new_password: str = Field(max_length=PASSWORD_MAX_LENGTH)


class TotpSetupOut(BaseModel):
    secret: str
    otpauth_uri: str


class TotpConfirmIn(_Input):
    code: str = Field(max_length=16)


class UserCreateIn(_Input):
    username: str = Field(min_length=3, max_length=USERNAME_MAX_LENGTH)
    role: Role
    display_name: str | None = Field(default=None, max_length=DISPLAY_NAME_MAX_LENGTH)
    language: Language = "en"


class UserCreatedOut(BaseModel):
    user: UserOut
    one_time_password: str


class UserUpdateIn(_Input):
    role: Role | None = None
    display_name: str | None = Field(default=None, max_length=DISPLAY_NAME_MAX_LENGTH)
    disabled: bool | None = None


class PasswordResetOut(BaseModel):
    username: str
    one_time_password: str


class TokenCreateIn(_Input):
    name: str = Field(min_length=1, max_length=TOKEN_NAME_MAX_LENGTH)
    scopes: list[Permission] = Field(min_length=1)
    expires_in_days: int | None = Field(default=None, ge=1, le=MAX_TOKEN_LIFETIME.days)
    expires_at: datetime | None = None


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    owner: str
    scopes: list[Permission]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, token: ApiToken, *, owner: str) -> TokenOut:
        return cls(
            id=token.id,
            name=token.name,
            prefix=token.prefix,
            owner=owner,
            scopes=sorted(token.scope_set),
            created_at=token.created_at,
            expires_at=token.expires_at,
            revoked_at=token.revoked_at,
            last_used_at=token.last_used_at,
        )


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The token itself, shown this once only.")
