"""Adds newly marked strings to the catalogs (run after changing user-facing text)."""

from __future__ import annotations

import sys

from garrison.i18n.catalogs import update_catalogs


def main() -> int:
    for language, count in update_catalogs().items():
        sys.stdout.write(f"{language}: {count} new strings\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
