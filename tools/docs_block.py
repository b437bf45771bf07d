"""Replace a generated block of a Markdown document: the text between two marker comments.

The docs keep tables that a tool computes (the points per notebook, the hub links, the
memory sizes) between a start and an end marker; ``--update-docs`` rewrites only that part.
"""
from __future__ import annotations

from pathlib import Path


class BlockMissing(ValueError):
    """The document lacks the markers of the block."""


def replace_block(docs: Path, start: str, end: str, text: str) -> None:
    """Put ``text`` between the markers ``start`` and ``end`` of ``docs``, keeping the rest."""
    content = docs.read_text(encoding="utf-8")
    if start not in content or end not in content:
        raise BlockMissing(f"{docs} has no '{start.strip()}' ... '{end}' block")
    head, rest = content.split(start, 1)
    _, tail = rest.split(end, 1)
    docs.write_text(head + start + text + end + tail, encoding="utf-8")
