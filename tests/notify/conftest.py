"""Real SMTP and HTTP receivers, the shared scenario, and settings pointing at it."""

from tests.escalation.fixtures import (
    ca,
    cheap_password_hashing,
    config_path,
    endpoints,
    receiver,
    settings,
    smtp,
)

__all__ = [
    "ca",
    "cheap_password_hashing",
    "config_path",
    "endpoints",
    "receiver",
    "settings",
    "smtp",
]
