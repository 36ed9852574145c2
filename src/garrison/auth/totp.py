"""Time-based one-time codes (RFC 6238) with replay protection by time step."""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp

TOTP_INTERVAL_SECONDS = 30
TOTP_DIGITS = 6
# One step either side tolerates a phone clock that is a little off.
ACCEPTED_DRIFT_STEPS = 1
ISSUER = "Garrison"


def new_totp_secret() -> str:
    return str(pyotp.random_base32())


def provisioning_uri(*, secret: str, username: str) -> str:
    return str(pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER))


def time_step(at: datetime) -> int:
    return int(at.timestamp()) // TOTP_INTERVAL_SECONDS


def code_at_step(*, secret: str, step: int) -> str:
    return str(pyotp.TOTP(secret).at(step * TOTP_INTERVAL_SECONDS))


def match_code(*, secret: str, code: str, at: datetime, last_used_step: int | None) -> int | None:
    """The time step the code belongs to, or None if it is wrong or was already used.

    A code is refused when its step is not later than the last step used, so a
    code seen by someone else cannot be replayed within its validity window.
    """
    code = code.strip().replace(" ", "")
    if len(code) != TOTP_DIGITS or not code.isdigit():
        return None
    current = time_step(at)
    for step in range(current - ACCEPTED_DRIFT_STEPS, current + ACCEPTED_DRIFT_STEPS + 1):
        if last_used_step is not None and step <= last_used_step:
            continue
        if hmac.compare_digest(code_at_step(secret=secret, step=step), code):
            return step
    return None
