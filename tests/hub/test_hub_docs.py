"""docs/jupyterhub.md stays true: its tables come from the commands it names, its sizes
from its table, its LMS recipe works; and the link generator rejects bad input clearly.
(These need no hub.)"""
from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import hub_helpers as hh
import pytest

sys.path.insert(0, str(hh.REPO / "tools"))
sys.path.insert(0, str(hh.REPO / "tests" / "classroom"))
import classroom_helpers as ch  # noqa: E402
import hub_links  # noqa: E402
import measure_memory  # noqa: E402
from run_notebooks import collect  # noqa: E402

DOC = hh.REPO / "docs" / "jupyterhub.md"


def _block(start: str, end: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    assert start in text and end in text, f"docs/jupyterhub.md lost its {start.strip()} block"
    return text.split(start, 1)[1].split(end, 1)[0]


def test_links_table_is_current():
    assert _block(hub_links.DOCS_START, hub_links.DOCS_END) == hub_links.docs_table(), (
        "the links in docs/jupyterhub.md are stale: run `python3 tools/hub_links.py --update-docs`")


def test_memory_table_has_every_notebook_and_sets_the_config():
    block = _block(measure_memory.DOCS_START, measure_memory.DOCS_END)
    rows = re.findall(r"^\| (\S+\.ipynb) \| (\d+) \| (\d+) \|$", block, re.MULTILINE)
    assert [name for name, _, _ in rows] == [p.name for p in collect([str(hh.REPO / "notebooks")])], (
        "the memory table does not list the notebooks: run `.venv/bin/python tools/measure_memory.py --update-docs`")
    server = int(re.search(r"JupyterLab server, no kernel: (\d+) MiB", block).group(1))
    largest = max(int(peak) for _, _, peak in rows)
    guarantee, limit = re.search(r"guarantee (\d+)M .* limit (\d+)M", block).groups()
    # the suggested sizes follow from the table by the rule the tool states
    assert int(guarantee) == measure_memory._round_up(server + largest)
    assert int(limit) == measure_memory._round_up(server + measure_memory.KERNELS_IN_LIMIT * largest)
    # and the config.yaml snippet uses them
    snippet = DOC.read_text(encoding="utf-8")
    assert re.search(rf"^\s+guarantee: {guarantee}M$", snippet, re.MULTILINE), "config.yaml guarantee differs"
    assert re.search(rf"^\s+limit: {limit}M$", snippet, re.MULTILINE), "config.yaml limit differs"


def test_readme_has_a_teaching_section_linking_the_doc():
    readme = (hh.REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Teaching a class", 1)
    assert len(section) == 2, "README.md has no '## Teaching a class' section"
    assert "(docs/jupyterhub.md)" in section[1].split("\n## ", 1)[0]


def test_links_cover_each_language_folder(tmp_path):
    notebooks = tmp_path / "notebooks"
    for rel in ["00_a.ipynb", "01_b.ipynb", "es/00_a.ipynb", "hi/00_a.ipynb", "data/x.ipynb", "es/data/y.csv"]:
        (notebooks / rel).parent.mkdir(parents=True, exist_ok=True)
        (notebooks / rel).write_text("{}")
    (notebooks / "pt-BR").mkdir()  # no notebooks yet: no table
    items = hub_links.links("https://hub.example.edu", "https://example.org/course.git", "main",
                            notebooks_dir=notebooks)
    assert [(i.language, i.notebook) for i in items] == [
        ("en", "notebooks/"), ("en", "notebooks/00_a.ipynb"), ("en", "notebooks/01_b.ipynb"),
        ("es", "notebooks/es/"), ("es", "notebooks/es/00_a.ipynb"),
        ("hi", "notebooks/hi/"), ("hi", "notebooks/hi/00_a.ipynb"),
    ]
    hi = items[-1].url
    assert hi.startswith("https://hub.example.edu/hub/user-redirect/git-pull?repo=https%3A%2F%2Fexample.org")
    assert "targetpath=course&" in hi and hi.endswith("urlpath=lab%2Ftree%2Fcourse%2Fnotebooks%2Fhi%2F00_a.ipynb")
    text = hub_links.markdown(items)
    assert "**Spanish (español)**" in text and "**Hindi (हिन्दी)**" in text


@pytest.mark.parametrize("args, message", [
    (["--hub", "hub.example.edu"], "--hub must be the hub's address, like https://hub.example.edu"),
    (["--hub", "https://hub.example.edu/?x=1"], "(http or https, no query); got 'https://hub.example.edu/?x=1'"),
    (["--hub", "https://h", "--target", "a/b"], "--target must be one folder name, got 'a/b'"),
    (["--hub", "https://h", "--branch=my branch"], "--branch must be a branch name, got 'my branch'"),
])
def test_link_generator_rejects_bad_input(args, message):
    proc = subprocess.run([sys.executable, str(hh.REPO / "tools" / "hub_links.py"), *args, "--no-check"],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and not proc.stdout
    assert message in proc.stderr, proc.stderr


def test_lms_route_zip_collect_recipe(tmp_path):
    """The Kubernetes/LMS recipe of the doc, with its regular expression: a zip of LMS
    downloads lands in submitted/<student>/<assignment>/ under the notebook's name."""
    regexp_line = re.search(r"^\s*(c\.FileNameCollectorPlugin\.named_regexp = .+)$", DOC.read_text(encoding="utf-8"),
                            re.MULTILINE).group(1)
    tool = ch.load_tool()
    course = tmp_path / "course"
    tool.write_config(course)  # the course's nbgrader_config.py, as `make assignments` writes it
    with open(course / "nbgrader_config.py", "a") as fh:
        fh.write("\n" + regexp_line + "\n")
    assignment = "01_demo_squares"
    release = (ch.FIXTURE_NOTEBOOKS / f"{assignment}.ipynb").read_bytes()  # a student's download
    archive = course / "downloaded" / assignment / "archive"
    archive.mkdir(parents=True)
    with zipfile.ZipFile(archive / "submissions.zip", "w") as z:
        z.writestr(f"doejane_12345_67890_{assignment}.ipynb", release)
        z.writestr(f"roebob_22222_99999_{assignment}.ipynb", release)
    tool.run_nbgrader(course, "zip_collect", assignment)
    for student in ["doejane", "roebob"]:
        got = course / "submitted" / student / assignment / f"{assignment}.ipynb"
        assert got.read_bytes() == release, student


def test_hub_links_needs_no_third_party_package():
    # instructors run it with any Python 3: the standard library and git only
    stdlib = {"__future__", "argparse", "os", "re", "subprocess", "sys", "urllib", "dataclasses", "pathlib"}
    for path in (Path(hub_links.__file__), Path(hub_links.__file__).with_name("docs_block.py")):
        imported = set(re.findall(r"^(?:from|import) (\w+)", path.read_text(), re.MULTILINE))
        assert imported <= stdlib | {"docs_block"}, (path.name, imported)
