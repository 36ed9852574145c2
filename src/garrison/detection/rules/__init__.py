"""Garrison's own rule pack (Sigma YAML), shipped with the package; see docs/detection.md."""

from __future__ import annotations

from pathlib import Path

PACK_DIR = Path(__file__).parent
