"""Literals a regular expression cannot match without, found by a conservative scan.

Only plain characters outside groups, classes and quantified atoms count: whatever the
scan returns is certain to occur in any text the expression matches (it may miss
literals, never invent one). A top-level alternation needs a literal in every branch.
"""

from __future__ import annotations

from garrison.detection.sigma.patterns import MIN_NEEDLE

_META = frozenset("^$.|?*+()[]{}\\")
_OPTIONAL_QUANTIFIERS = frozenset("?*")


def regex_needles(pattern: str) -> frozenset[str] | None:
    branches = _top_level_branches(pattern)
    if branches is None:
        return None
    found: set[str] = set()
    for branch in branches:
        runs = _literal_runs(branch)
        best = max(runs, key=len, default="")
        if len(best) < MIN_NEEDLE:
            return None
        found.add(best.lower())
    return frozenset(found)


def _top_level_branches(pattern: str) -> list[str] | None:
    branches: list[str] = []
    depth = 0
    in_class = False
    start = 0
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern[index + 1 : index + 2] == "]":
                index += 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                return None
        elif char == "|" and depth == 0:
            branches.append(pattern[start:index])
            start = index + 1
        index += 1
    if depth != 0 or in_class:
        return None
    branches.append(pattern[start:])
    return branches


def _literal_runs(branch: str) -> list[str]:
    """Runs of characters that must appear in sequence, in one branch without top-level |."""
    runs: list[str] = []
    current: list[str] = []
    index = 0
    length = len(branch)

    def close() -> None:
        if current:
            runs.append("".join(current))
            current.clear()

    while index < length:
        char = branch[index]
        literal: str | None = None
        if char == "\\":
            escaped = branch[index + 1 : index + 2]
            if escaped and not escaped.isalnum():
                literal = escaped
                index += 2
            else:
                index = _skip_escape(branch, index + 1)
        elif char in "([":
            close()
            index = _skip_group(branch, index)
            continue
        elif char in _META:
            index += 1
        else:
            literal = char
            index += 1
        if literal is None:
            close()
            continue
        following = branch[index : index + 1]
        if following in _OPTIONAL_QUANTIFIERS or branch.startswith("{0", index):
            close()
            index = _skip_quantifier(branch, index)
            continue
        if following in ("+", "{"):
            current.append(literal)
            close()
            index = _skip_quantifier(branch, index)
            continue
        current.append(literal)
    close()
    return runs


def _skip_escape(branch: str, index: int) -> int:
    """Index after an escape like ``\\d``, ``\\x41``, ``\\x{263a}``, ``\\p{Greek}`` or ``\\12``."""
    letter = branch[index : index + 1]
    index += 1
    if branch[index : index + 1] == "{" and letter in ("x", "p", "P", "N", "k"):
        closing = branch.find("}", index)
        return len(branch) if closing < 0 else closing + 1
    widths = {"x": 2, "u": 4, "U": 8, "p": 1, "P": 1}
    if letter in widths:
        return index + widths[letter]
    if letter.isdigit():
        while index < len(branch) and branch[index].isdigit():
            index += 1
    return index


def _skip_group(branch: str, index: int) -> int:
    """Index after the group or class starting at ``index`` (and any quantifier after it)."""
    opening = branch[index]
    if opening == "[":
        index += 1
        if branch[index : index + 1] == "^":
            index += 1
        if branch[index : index + 1] == "]":
            index += 1
        while index < len(branch) and branch[index] != "]":
            index += 2 if branch[index] == "\\" else 1
        return _skip_quantifier(branch, index + 1)
    depth = 0
    in_class = False
    while index < len(branch):
        char = branch[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return _skip_quantifier(branch, index + 1)
        index += 1
    return index


def _skip_quantifier(branch: str, index: int) -> int:
    if branch[index : index + 1] in ("?", "*", "+"):
        index += 1
    elif branch[index : index + 1] == "{":
        closing = branch.find("}", index)
        index = len(branch) if closing < 0 else closing + 1
    if branch[index : index + 1] in ("?", "+"):  # lazy or possessive
        index += 1
    return index
