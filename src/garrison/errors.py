"""The root of Garrison's exception tree.

Every error Garrison raises on purpose derives from :class:`GarrisonError`.
Each carries the exit code the CLI uses and the HTTP status the API uses; the
mapping is read in exactly one place each (``garrison.cli.main`` and
``garrison.web.errors``).

GarrisonError
├── ConfigError            invalid configuration (exit 2, HTTP 422)
├── NotFoundError          a named thing does not exist (exit 1, HTTP 404)
├── ConflictError          the change clashes with the current state (exit 1, HTTP 409)
├── ValidationFailed       a request or argument is invalid (exit 2, HTTP 422)
├── AuthenticationError    who you are could not be established (exit 1, HTTP 401)
├── PermissionDenied       you may not do this (exit 1, HTTP 403)
├── RateLimited            too many attempts, try later (exit 1, HTTP 429)
└── StorageError           the database failed or is not ready (exit 1, HTTP 503)
"""

from __future__ import annotations


class GarrisonError(Exception):
    """Base class: a failure Garrison understands and can explain."""

    exit_code: int = 1
    http_status: int = 500


class ConfigError(GarrisonError):
    exit_code = 2
    http_status = 422


class NotFoundError(GarrisonError):
    http_status = 404


class ConflictError(GarrisonError):
    http_status = 409


class ValidationFailed(GarrisonError):
    exit_code = 2
    http_status = 422


class AuthenticationError(GarrisonError):
    http_status = 401


class PermissionDenied(GarrisonError):
    http_status = 403


class RateLimited(GarrisonError):
    http_status = 429

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class StorageError(GarrisonError):
    http_status = 503
