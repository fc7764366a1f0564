"""HXL hashtags: parse and normalise them, and match columns against tag patterns as HXL does."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A tag or attribute name as HXL defines it: a letter, then letters, digits or underscores.
_NAME = r"[a-z][a-z0-9_]*"
_HASHTAG_RE = re.compile(rf"^#({_NAME})((?:\s*\+\s*{_NAME})*)$")
_PATTERN_RE = re.compile(rf"^#({_NAME})((?:\s*[+-]\s*{_NAME})*)$")
_ATTRIBUTE_RE = re.compile(rf"([+-])\s*({_NAME})")


@dataclass(frozen=True)
class Hashtag:
    """A normalised HXL hashtag: lower-case tag and the set of its attributes.

    `str(hashtag)` gives the canonical spelling with attributes sorted: `#org+acronym+name`.
    """

    tag: str
    attributes: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, text: object) -> Hashtag | None:
        """The hashtag in a cell, or None when the cell is blank or not a hashtag.

        Tolerates what real files contain: spaces around `+` (`#org +acronym`), upper case
        (`#HRP`), surrounding whitespace.
        """
        if text is None:
            return None
        cleaned = str(text).strip().lower()
        match = _HASHTAG_RE.match(cleaned)
        if not match:
            return None
        attributes = frozenset(name for _, name in _ATTRIBUTE_RE.findall(match.group(2)))
        return cls(tag="#" + match.group(1), attributes=attributes)

    def __str__(self) -> str:
        return self.tag + "".join("+" + name for name in sorted(self.attributes))


@dataclass(frozen=True)
class TagPattern:
    """An HXL tag pattern such as `#org+impl` or `#sector-code`.

    A hashtag matches when it has the pattern's tag, all of its `+` attributes and none of its
    `-` attributes (the HXL rule). `specificity` ranks patterns: more attributes named, more
    specific.
    """

    tag: str
    include: frozenset[str] = frozenset()
    exclude: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, text: str) -> TagPattern:
        """Parse `#tag+attr-attr`; raise ValueError for anything else (patterns are our own data)."""
        cleaned = text.strip().lower()
        match = _PATTERN_RE.match(cleaned)
        if not match:
            raise ValueError(f"not an HXL tag pattern: {text!r}")
        include: set[str] = set()
        exclude: set[str] = set()
        for sign, name in _ATTRIBUTE_RE.findall(match.group(2)):
            (include if sign == "+" else exclude).add(name)
        return cls(tag="#" + match.group(1), include=frozenset(include), exclude=frozenset(exclude))

    def matches(self, hashtag: Hashtag | str | None) -> bool:
        """True when `hashtag` (a Hashtag, or its text as written in a file) fits the pattern."""
        if isinstance(hashtag, str):
            hashtag = Hashtag.parse(hashtag)
        return (
            hashtag is not None
            and hashtag.tag == self.tag
            and self.include <= hashtag.attributes
            and not (self.exclude & hashtag.attributes)
        )

    @property
    def specificity(self) -> int:
        return len(self.include) + len(self.exclude)

    def __str__(self) -> str:
        return (
            self.tag
            + "".join("+" + name for name in sorted(self.include))
            + "".join("-" + name for name in sorted(self.exclude))
        )


def normalise_hashtag(text: object) -> str:
    """'#org +acronym' → '#org+acronym' (attributes sorted, lower case); '' when not a hashtag."""
    hashtag = Hashtag.parse(text)
    return "" if hashtag is None else str(hashtag)


def is_hashtag_row(cells: list[object], *, threshold: float = 0.5) -> bool:
    """True when more than `threshold` of the row's non-blank cells are valid hashtags."""
    filled = [cell for cell in cells if cell is not None and str(cell).strip() != ""]
    if not filled:
        return False
    tags = sum(1 for cell in filled if Hashtag.parse(cell) is not None)
    return tags / len(filled) > threshold
