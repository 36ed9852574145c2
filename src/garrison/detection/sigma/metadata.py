"""What a loaded rule says about itself: id, title, level, author, licence, security category."""

from __future__ import annotations

import functools
from pathlib import Path

from sigma.rule.base import SigmaRuleBase

from garrison.detection.findings import GARRISON_AUTHOR, GARRISON_LICENSE, Level, RuleInfo

UNKNOWN_AUTHOR = "unknown"
UNSPECIFIED_LICENSE = "unspecified"
DRL_LICENSE = "DRL-1.1"
LICENSE_FILES = ("LICENSE.md", "LICENSE", "LICENSE.txt", "LICENCE.md", "LICENCE")
LICENSE_SEARCH_DEPTH = 6

# ATT&CK techniques and tactics mapped to the categories of DOMAIN.md; first match wins.
_CATEGORY_TAGS: tuple[tuple[str, str], ...] = (
    ("attack.t1486", "ransomware"),
    ("attack.t1485", "data_destruction"),
    ("attack.t1561", "data_destruction"),
    ("attack.t1491", "defacement"),
    ("attack.t1498", "denial_of_service"),
    ("attack.t1499", "denial_of_service"),
    ("attack.t1566", "spoofing"),
    ("attack.t1557", "spoofing"),
    ("attack.t1110", "unauthorised_access"),
    ("attack.exfiltration", "data_theft"),
    ("attack.collection", "data_theft"),
    ("attack.credential-access", "unauthorised_access"),
    ("attack.credential_access", "unauthorised_access"),
    ("attack.initial-access", "unauthorised_access"),
    ("attack.initial_access", "unauthorised_access"),
    ("attack.privilege-escalation", "unauthorised_access"),
    ("attack.lateral-movement", "unauthorised_access"),
    ("attack.execution", "malware"),
    ("attack.persistence", "malware"),
    ("attack.defense-evasion", "malware"),
    ("attack.command-and-control", "malware"),
    ("attack.impact", "other"),
)
CATEGORIES = frozenset(
    {
        "denial_of_service",
        "spoofing",
        "malware",
        "unauthorised_access",
        "defacement",
        "ransomware",
        "data_destruction",
        "data_theft",
        "combined",
        "other",
    }
)
GARRISON_CATEGORY_TAG = "garrison.category."


def security_category(tags: tuple[str, ...]) -> str:
    lowered = [tag.lower() for tag in tags]
    for tag in lowered:
        if tag.startswith(GARRISON_CATEGORY_TAG):
            named = tag.removeprefix(GARRISON_CATEGORY_TAG)
            if named in CATEGORIES:
                return named
    for prefix, category in _CATEGORY_TAGS:
        if any(tag == prefix or tag.startswith(prefix + ".") for tag in lowered):
            return category
    return "other"


def rule_info(
    rule: SigmaRuleBase, *, rule_id: str, path: Path, level: str | None = None
) -> RuleInfo:
    tags = tuple(str(tag) for tag in rule.tags)
    author = (rule.author or "").strip() or UNKNOWN_AUTHOR
    license_name = (rule.license or "").strip() or folder_license(path.parent)
    if author == GARRISON_AUTHOR and license_name == UNSPECIFIED_LICENSE:
        license_name = GARRISON_LICENSE
    return RuleInfo(
        id=rule_id,
        title=rule.title or rule_id,
        level=level or (str(rule.level.name).lower() if rule.level else Level.MEDIUM.value),
        author=author,
        license=license_name,
        category=security_category(tags),
        name=rule.name,
        description=(rule.description or "").strip(),
        path=str(path),
        tags=tags,
    )


@functools.lru_cache(maxsize=256)
def folder_license(folder: Path) -> str:
    """The licence a rule folder declares (SigmaHQ ships the Detection Rule License)."""
    current = folder.resolve()
    for _ in range(LICENSE_SEARCH_DEPTH):
        for name in LICENSE_FILES:
            candidate = current / name
            if candidate.is_file():
                return _license_name(candidate)
        if current.parent == current:
            break
        current = current.parent
    return UNSPECIFIED_LICENSE


def _license_name(path: Path) -> str:
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:4000]
    except OSError:
        return UNSPECIFIED_LICENSE
    if "Detection Rule License" in head:
        return DRL_LICENSE
    first = next((line.strip("# ").strip() for line in head.splitlines() if line.strip()), "")
    return first[:200] or UNSPECIFIED_LICENSE
