from __future__ import annotations

from pathlib import Path

import pytest

from garrison.errors import ConfigError
from garrison.settings import load_settings


def test_defaults_use_sqlite_in_the_data_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GARRISON_DATABASE_URL", "GARRISON_DATA_DIR", "GARRISON_PORT"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.port == 8080
    assert settings.is_sqlite
    assert settings.resolved_database_url.endswith("garrison-data/garrison.db")


def test_flags_beat_environment_which_beats_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_file = tmp_path / "garrison.yaml"
    settings_file.write_text("port: 9000\nhost: 127.0.0.2\nlanguage: vi\n", encoding="utf-8")
    monkeypatch.setenv("GARRISON_PORT", "9100")
    from_file_and_env = load_settings(settings_file=settings_file)
    assert from_file_and_env.port == 9100
    assert from_file_and_env.host == "127.0.0.2"
    assert from_file_and_env.language == "vi"
    with_flag = load_settings(settings_file=settings_file, overrides={"port": 9200, "host": None})
    assert with_flag.port == 9200
    assert with_flag.host == "127.0.0.2"


def test_database_url_is_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GARRISON_DATABASE_URL", "postgresql://garrison:hunter2@db/garrison")
    settings = load_settings()
    assert "hunter2" not in repr(settings)
    assert settings.resolved_database_url.endswith("@db/garrison")


def test_bad_values_name_the_setting_and_the_file(tmp_path: Path) -> None:
    settings_file = tmp_path / "garrison.yaml"
    settings_file.write_text("port: 70000\nunknown_setting: 1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_settings(settings_file=settings_file)
    message = str(raised.value)
    assert f"{settings_file}: setting port" in message
    assert "unknown_setting" in message


def test_settings_file_must_be_a_mapping(tmp_path: Path) -> None:
    settings_file = tmp_path / "garrison.yaml"
    settings_file.write_text("- port\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_settings(settings_file=settings_file)
