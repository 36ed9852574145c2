"""The demo lab's exceptions.

GarrisonError
└── LabError                 the demo lab cannot do what was asked
    ├── UnknownTargetError   no lab target has that name (also a NotFoundError)
    ├── UnsupportedFaultError the target cannot simulate that fault (also a ValidationFailed)
    ├── InvalidScheduleError a fault window makes no sense (also a ConfigError)
    └── ListenError          a target could not listen on its port
"""

from __future__ import annotations

from garrison.errors import ConfigError, GarrisonError, NotFoundError, ValidationFailed


class LabError(GarrisonError):
    """Base class of the demo lab's errors."""


class UnknownTargetError(LabError, NotFoundError):
    pass


class UnsupportedFaultError(LabError, ValidationFailed):
    pass


class InvalidScheduleError(LabError, ConfigError):
    pass


class ListenError(LabError):
    pass
