"""The server secret and the signed acknowledgement tokens."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from garrison.notify.errors import InvalidLink
from garrison.notify.links import SECRET_FILE, read_ack_token, server_secret, sign_ack_token
from garrison.settings import Settings

EXPIRES = datetime(2026, 6, 2, 8, 0, tzinfo=UTC)


def test_the_secret_comes_from_the_setting_when_given(tmp_path: Path) -> None:
    key = "k" * 40
    assert server_secret(Settings(data_dir=tmp_path, secret_key=key)) == key.encode()
    assert not (tmp_path / SECRET_FILE).exists()


def test_otherwise_a_private_secret_file_is_made_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    first = server_secret(settings)
    path = tmp_path / "data" / SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 64
    assert server_secret(settings) == first


def test_a_token_round_trips_and_any_change_breaks_it() -> None:
    secret = b"s" * 32
    token = sign_ack_token(secret, notification_id=7, person_id="alpha", expires_at=EXPIRES)
    claim = read_ack_token(secret, token)
    assert (claim.notification_id, claim.person_id, claim.expires_at) == (7, "alpha", EXPIRES)
    payload, mac = token.split(".")
    other = sign_ack_token(secret, notification_id=8, person_id="alpha", expires_at=EXPIRES)
    for bad in (
        f"{other.split('.')[0]}.{mac}",  # another payload under this signature
        f"{payload}.{mac[:-1]}",
        token + ".x",
        "é" * 10 + "." + mac,
    ):
        with pytest.raises(InvalidLink):
            read_ack_token(secret, bad)
    with pytest.raises(InvalidLink):
        read_ack_token(b"t" * 32, token)
