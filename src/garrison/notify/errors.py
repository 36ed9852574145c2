"""The notification domain's errors.

Exception                  (not a GarrisonError: never shown to a caller as such)
└── DeliveryFailed         a channel could not deliver; ``temporary`` ones are retried

GarrisonError
└── NotFoundError
    └── InvalidLink        an acknowledgement link that is forged, unknown or damaged (404)
ConflictError
└── LinkUnusable           a genuine link that expired or was used already (410)
"""

from __future__ import annotations

from garrison.errors import ConflictError, NotFoundError

MAX_REASON_LENGTH = 400


class DeliveryFailed(Exception):
    """A channel's failure, already made readable; the lower library's error is its cause."""

    def __init__(self, reason: str, *, temporary: bool) -> None:
        super().__init__(reason[:MAX_REASON_LENGTH])
        self.reason = reason[:MAX_REASON_LENGTH]
        self.temporary = temporary


class InvalidLink(NotFoundError):
    pass


class LinkUnusable(ConflictError):
    http_status = 410
