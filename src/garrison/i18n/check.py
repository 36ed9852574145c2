"""Fails (exit 1) when a user-facing string lacks a translation in any catalog."""

from __future__ import annotations

import sys

from garrison.i18n.catalogs import missing_translations


def main() -> int:
    missing = missing_translations()
    for item in missing:
        where = ", ".join(item.locations[:3])
        sys.stderr.write(f"{item.language}: untranslated {item.message!r} ({where})\n")
    if missing:
        sys.stderr.write(f"{len(missing)} translations missing\n")
        return 1
    sys.stdout.write("translations complete\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
