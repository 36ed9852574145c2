"""The incident domain's errors: the general tree's, with the HTTP status a payload needs.

ValidationFailed
├── InvalidSignal      a signal payload is malformed (HTTP 400, what and where in ``problems``)
└── PayloadTooLarge    an attachment or payload is over its limit (HTTP 413)
"""

from __future__ import annotations

from garrison.errors import ValidationFailed


class InvalidSignal(ValidationFailed):
    http_status = 400

    def __init__(self, message: str, *, problems: tuple[str, ...] = ()) -> None:
        detail = message if not problems else f"{message} " + "; ".join(problems)
        super().__init__(detail)
        self.message = message
        self.problems = problems


class PayloadTooLarge(ValidationFailed):
    http_status = 413
