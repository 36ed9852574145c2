"""One settings object, read once at start and passed explicitly.

Precedence, highest first: command-line flags, ``GARRISON_*`` environment
variables, the settings file (YAML), defaults.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from garrison.auth.permissions import Role
from garrison.errors import ConfigError

MAX_SETTINGS_FILE_BYTES = 256 * 1024


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GARRISON_", extra="forbid", frozen=True)

    data_dir: Path = Field(default=Path("garrison-data"))
    database_url: SecretStr | None = None
    config_file: Path | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    language: Literal["en", "vi"] = "en"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "json", "text"] = "auto"
    session_hours: float = Field(default=12.0, gt=0, le=24 * 14)
    secure_cookies: Literal["auto", "always", "never"] = "auto"
    metrics_public: bool = False
    shutdown_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    login_max_failures_per_account: int = Field(default=5, ge=1)
    login_max_failures_per_address: int = Field(default=20, ge=1)
    login_window_seconds: int = Field(default=900, ge=10)
    totp_required_roles: tuple[Role, ...] = ()
    max_request_bytes: int = Field(default=1024 * 1024, ge=1024)
    secret_key: SecretStr | None = Field(default=None, min_length=32)

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @property
    def resolved_database_url(self) -> str:
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite+aiosqlite:///{(self.data_dir / 'garrison.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")


def load_settings(
    *, settings_file: Path | None = None, overrides: dict[str, Any] | None = None
) -> Settings:
    """Build the settings from file, environment and flags (``overrides`` are the flags)."""
    from_file: dict[str, Any] = {}
    if settings_file is not None:
        from_file = _read_settings_file(settings_file)
    flags = {key: value for key, value in (overrides or {}).items() if value is not None}
    try:
        # Environment variables beat the file: pydantic-settings gives init kwargs the
        # highest priority, so the file's values are applied only where no variable is set.
        env_only = Settings.model_validate(flags) if flags else Settings()
        explicit_env = env_only.model_fields_set
        merged = {k: v for k, v in from_file.items() if k not in explicit_env}
        merged.update(flags)
        return Settings.model_validate(merged) if merged else env_only
    except ValidationError as exc:
        raise ConfigError(_describe(exc, settings_file)) from exc


def _read_settings_file(path: Path) -> dict[str, Any]:
    try:
        if path.stat().st_size > MAX_SETTINGS_FILE_BYTES:
            raise ConfigError(
                f"{path}: settings file is larger than {MAX_SETTINGS_FILE_BYTES} bytes"
            )
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read settings file: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: settings file must be a mapping of setting names to values")
    return {str(key): value for key, value in data.items()}


def _describe(exc: ValidationError, source: Path | None) -> str:
    where = f"{source}: " if source else ""
    lines = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "(settings)"
        lines.append(f"{where}setting {field}: {error['msg']}")
    return "\n".join(lines)
