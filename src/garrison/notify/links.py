"""Signed one-click acknowledgement links, and the server secret that signs them.

A token is ``<payload>.<mac>``, both base64url: the payload names the notification,
the person it was sent to and when the link expires; the MAC is HMAC-SHA256 of the
payload with the server secret. Nothing about the token is stored: the same
notification always yields the same token, and a link is spent by marking its
notification (``ack_used_at``), which makes it work once.

The secret is ``GARRISON_SECRET_KEY`` when set, else ``secret.key`` in the data
directory, made on first use with mode 0600.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from garrison.errors import ConfigError
from garrison.i18n import gettext as _
from garrison.notify.errors import InvalidLink
from garrison.settings import Settings

logger = logging.getLogger(__name__)

SECRET_FILE = "secret.key"  # noqa: S105 - a file name, not a secret
SECRET_BYTES = 32
MAX_TOKEN_LENGTH = 512
_PURPOSE = b"garrison:acknowledge:v1:"
_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class AckClaim:
    notification_id: int
    person_id: str
    expires_at: datetime


def server_secret(settings: Settings) -> bytes:
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode("utf-8")
    return _secret_file(settings.data_dir / SECRET_FILE)


def _secret_file(path: Path) -> bytes:
    with _lock:
        try:
            return _read_secret(path)
        except FileNotFoundError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            # Another process made it first: use theirs.
            return _read_secret(path)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(SECRET_BYTES) + "\n")
        logger.info("made a new server secret in %s", path)
        return _read_secret(path)


def _read_secret(path: Path) -> bytes:
    value = path.read_text(encoding="ascii").strip()
    if len(value) < SECRET_BYTES:
        raise ConfigError(_("The server secret in %(path)s is too short.") % {"path": path})
    return value.encode("ascii")


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, payload: str) -> bytes:
    return hmac.new(secret, _PURPOSE + payload.encode("ascii"), hashlib.sha256).digest()


def sign_ack_token(
    secret: bytes, *, notification_id: int, person_id: str, expires_at: datetime
) -> str:
    document = {"n": notification_id, "p": person_id, "x": int(expires_at.timestamp())}
    payload = _encode(json.dumps(document, separators=(",", ":")).encode("utf-8"))
    return f"{payload}.{_encode(_mac(secret, payload))}"


def read_ack_token(secret: bytes, token: str) -> AckClaim:
    """The claim of a genuine token; InvalidLink for anything forged or damaged."""
    invalid = InvalidLink(_("This acknowledgement link is not valid."))
    if len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise invalid
    payload, mac = token.split(".")
    try:
        genuine = hmac.compare_digest(_decode(mac), _mac(secret, payload))
        document = json.loads(_decode(payload)) if genuine else None
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise invalid from None
    if not isinstance(document, dict):
        raise invalid
    notification_id, person_id, expires = document.get("n"), document.get("p"), document.get("x")
    if not (
        isinstance(notification_id, int) and isinstance(person_id, str) and isinstance(expires, int)
    ):
        raise invalid
    return AckClaim(
        notification_id=notification_id,
        person_id=person_id,
        expires_at=datetime.fromtimestamp(expires, UTC),
    )


def acknowledge_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/ack/{token}"


def incident_url(base_url: str, incident_id: int) -> str:
    return f"{base_url.rstrip('/')}/incidents/{incident_id}"


def directive_url(base_url: str, directive_id: int) -> str:
    return f"{base_url.rstrip('/')}/api/v1/directives/{directive_id}"
