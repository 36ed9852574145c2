"""Where duty reads the event configuration: the file Garrison was started with.

Rotations are configuration as code. The file is read again when it (or one of
its includes) changes on disk; otherwise the parsed configuration is reused.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from garrison.config import EventConfig, load_config
from garrison.errors import ConflictError, GarrisonError
from garrison.i18n import gettext as _
from garrison.settings import Settings

MAX_CACHED_FILES = 16

EventLoader = Callable[[], EventConfig | None]
"""How a worker reads the configuration: None when there is none, GarrisonError when unreadable."""

_Stamp = tuple[str, int, int]


@dataclass(frozen=True, slots=True)
class _Entry:
    files: tuple[Path, ...]
    stamps: tuple[_Stamp, ...]
    config: EventConfig


class ConfigCache:
    """Parsed configurations by root file, valid while none of their files changed."""

    def __init__(self) -> None:
        self._entries: dict[Path, _Entry] = {}
        self._lock = threading.Lock()

    def load(self, path: Path) -> EventConfig:
        key = path.resolve()
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and _stamps(entry.files) == entry.stamps:
            return entry.config
        loaded = load_config(path)
        fresh = _Entry(files=loaded.files, stamps=_stamps(loaded.files), config=loaded.config)
        with self._lock:
            if len(self._entries) >= MAX_CACHED_FILES:
                self._entries.clear()
            self._entries[key] = fresh
        return loaded.config


def _stamps(files: tuple[Path, ...]) -> tuple[_Stamp, ...]:
    stamps: list[_Stamp] = []
    for file in files:
        try:
            status = file.stat()
        except OSError:
            stamps.append((str(file), -1, -1))
            continue
        stamps.append((str(file), status.st_mtime_ns, status.st_size))
    return tuple(stamps)


_CACHE = ConfigCache()


def configured_event(settings: Settings) -> EventConfig:
    """The event configuration of the running Garrison; ConflictError when it has none."""
    if settings.config_file is None:
        raise ConflictError(
            _("Garrison was started without a configuration file: duty rosters come from it.")
        )
    return _CACHE.load(settings.config_file)


def running_event(settings: Settings) -> EventConfig | None:
    """The configuration Garrison was started with; None when it was started without one."""
    if settings.config_file is None:
        return None
    return configured_event(settings)


def read_event(load_event: EventLoader, *, waiting: str) -> EventConfig | None:
    """The configuration for a worker; None when there is none or it cannot be read.

    ``waiting`` names who waits, for the warning logged when the file cannot be read.
    """
    try:
        return load_event()
    except GarrisonError as exc:
        logging.getLogger(__name__).warning(
            "%s wait: the configuration cannot be read: %s", waiting, exc
        )
        return None


def event_or_none(settings: Settings, *, waiting: str) -> EventConfig | None:
    """The configuration Garrison was started with, for a worker (see ``read_event``)."""
    return read_event(partial(running_event, settings), waiting=waiting)
