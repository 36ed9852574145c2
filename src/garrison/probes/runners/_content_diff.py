"""How much of a page's visible text changed, the diff to show, and phrase matching."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter

MAX_DIFF_CHARS = 20 * 1024
# Above this many word pairs in one changed block, matching words are counted as a
# multiset overlap (an upper bound of the true alignment) instead of aligned.
_MAX_ALIGNED_PAIRS = 4_000_000


def change_ratio(before: str, after: str) -> float:
    """The share of words that changed: 1 - aligned words / the longer text's word count.

    Lines are aligned first (pages change by blocks), then words inside changed
    blocks, so that editing one word of a long paragraph counts as one word.
    """
    lines_before, lines_after = before.splitlines(), after.splitlines()
    total = max(_word_count(lines_before), _word_count(lines_after))
    if total == 0:
        return 0.0
    matcher = difflib.SequenceMatcher(None, lines_before, lines_after, autojunk=False)
    matched = 0
    for operation, i1, i2, j1, j2 in matcher.get_opcodes():
        if operation == "equal":
            matched += _word_count(lines_before[i1:i2])
        elif operation == "replace":
            matched += _aligned_words(
                " ".join(lines_before[i1:i2]).split(), " ".join(lines_after[j1:j2]).split()
            )
    return max(0.0, min(1.0, 1.0 - matched / total))


def _aligned_words(before: list[str], after: list[str]) -> int:
    if len(before) * len(after) > _MAX_ALIGNED_PAIRS:
        return sum((Counter(before) & Counter(after)).values())
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks())


def _word_count(lines: list[str]) -> int:
    return sum(len(line.split()) for line in lines)


def bounded_diff(before: str, after: str) -> tuple[str, bool]:
    """A unified diff of the two texts (line by line), cut at 20 KiB; True when cut."""
    pieces: list[str] = []
    size = 0
    for line in difflib.unified_diff(
        before.splitlines(), after.splitlines(), "baseline", "current", lineterm="", n=1
    ):
        if size + len(line) + 1 > MAX_DIFF_CHARS:
            return "\n".join(pieces), True
        pieces.append(line)
        size += len(line) + 1
    return "\n".join(pieces), False


def fold(text: str) -> str:
    """Text for phrase matching: case-folded, accents and other combining marks removed.

    "Bị HACK", "bị hack" written with combining marks, and "bi hack" all fold to
    "bi hack"; Vietnamese đ (which has no decomposition) folds to d.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(stripped.replace("đ", "d").split())


def phrases_found(text: str, phrases: tuple[str, ...]) -> list[str]:
    """The phrases that occur in ``text`` as whole words (after :func:`fold`)."""
    folded = fold(text)
    found: list[str] = []
    for phrase in phrases:
        wanted = fold(phrase)
        if wanted and re.search(rf"(?<!\w){re.escape(wanted)}(?!\w)", folded):
            found.append(phrase)
    return found
