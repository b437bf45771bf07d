"""tools/docs_block.py: the one place that rewrites a generated block of a document (the
points table, the hub links and the memory table all go through it)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

from docs_block import BlockMissing, replace_block  # noqa: E402

START, END = "<!-- table: start -->\n", "<!-- table: end -->"


def test_only_the_block_changes(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text(f"# Title\n\nbefore\n{START}old row\n{END}\nafter\n", encoding="utf-8")
    replace_block(doc, START, END, "| new | row |\n")
    assert doc.read_text(encoding="utf-8") == f"# Title\n\nbefore\n{START}| new | row |\n{END}\nafter\n"


def test_a_document_without_the_markers_is_left_alone_and_named(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("# Title\n\nno block here\n", encoding="utf-8")
    with pytest.raises(BlockMissing, match=r"doc\.md has no '<!-- table: start -->' \.\.\. '<!-- table: end -->' block"):
        replace_block(doc, START, END, "x")
    assert doc.read_text(encoding="utf-8") == "# Title\n\nno block here\n"


@pytest.mark.parametrize("tool", ["assignments.py", "hub_links.py", "measure_memory.py"])
def test_every_docs_table_goes_through_it(tool):
    source = (ROOT / "tools" / tool).read_text(encoding="utf-8")
    assert "replace_block(" in source and ".split(DOCS_START" not in source
