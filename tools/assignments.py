#!/usr/bin/env python3
"""Build and grade the nbgrader course made from the series' notebooks.

Commands (run from the repository root, with the project's virtualenv python):

    build [--force]          course/: config, source/<a>/<a>.ipynb and the student
                             versions in release/ (one assignment per notebook with
                             exercises; the assignment name is the notebook's stem).
                             Without --force an existing release is never overwritten.
    points [--update-docs]   the table of exercises and points per notebook (Markdown);
                             --update-docs pastes it into docs/instructors.md
    autograde [A ...]        `nbgrader autograde` every assignment (or A ...) that has
                             submissions in course/submitted/
    export                   `nbgrader export`: course/grades.csv

Options: --notebooks DIR (default notebooks/, or $BACKPROP_NOTEBOOKS_DIR) and
--course DIR (default course/, or $BACKPROP_COURSE_DIR).

Exit status: 0 when everything asked for was done; 1 when an existing release was left
alone (rerun with --force, i.e. `make assignments FORCE=1`) or nbgrader failed.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
COURSE_ID = "backprop-from-the-ground-up"

CONFIG_TEMPLATE = '''\
# nbgrader configuration for "Backprop from the Ground Up".
# Written by `tools/assignments.py build` when missing; your edits are kept.
c = get_config()  # noqa: F821 - provided by nbgrader when it reads this file

c.CourseDirectory.course_id = "{course_id}"

# The stub that replaces each "### BEGIN SOLUTION ... ### END SOLUTION" region.
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}

# Autograding: seconds per cell (the checkers stop each call of student code after 5 s,
# training cells that use the reference implementation need more), and put back test
# cells a student deleted (edited ones are always restored from the gradebook).
c.Execute.timeout = 180
c.OverwriteCells.add_missing_cells = True

# With a shared JupyterHub exchange (see docs/instructors.md), uncomment:
# c.Exchange.root = "/srv/nbgrader/exchange"
'''

# --------------------------------------------------------------------- notebooks


@dataclass
class Exercise:
    grade_id: str
    points: float
    title: str
    hidden_tests: bool


@dataclass
class NotebookInfo:
    path: Path
    exercises: list[Exercise] = field(default_factory=list)
    solution_ids: list[str] = field(default_factory=list)

    @property
    def assignment(self) -> str:
        return self.path.stem

    @property
    def points(self) -> float:
        return sum(e.points for e in self.exercises)


def _nbgrader_meta(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


_TITLE = re.compile(r"^#{1,6}\s*(Exercise\s+[\w.]+.*)$", re.MULTILINE)


def inspect_notebook(path: Path) -> NotebookInfo:
    """Exercises (graded test cells) and solution cells of one notebook."""
    nb = nbformat.read(str(path), as_version=4)
    info = NotebookInfo(path)
    title = ""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found = _TITLE.findall(_source(cell))
            if found:
                title = found[-1].strip()
        meta = _nbgrader_meta(cell)
        if meta.get("solution"):
            info.solution_ids.append(str(meta.get("grade_id", "")))
        if meta.get("grade") and not meta.get("solution"):
            info.exercises.append(Exercise(
                grade_id=str(meta.get("grade_id", "")),
                points=float(meta.get("points", 0) or 0),
                title=title,
                hidden_tests="### BEGIN HIDDEN TESTS" in _source(cell),
            ))
    return info


def has_nbgrader_cells(path: Path) -> bool:
    info = inspect_notebook(path)
    return bool(info.exercises or info.solution_ids)


def exercise_notebooks(notebooks_dir: Path) -> list[NotebookInfo]:
    """Every notebook in ``notebooks_dir`` (not recursive) with nbgrader cells, in order."""
    found = []
    for path in sorted(Path(notebooks_dir).glob("*.ipynb")):
        info = inspect_notebook(path)
        if info.exercises or info.solution_ids:
            found.append(info)
    return found


def problems(info: NotebookInfo) -> list[str]:
    """What would make nbgrader fail or grade wrongly, in words."""
    out = []
    nb = nbformat.read(str(info.path), as_version=4)
    seen: dict[str, int] = {}
    for cell in nb.cells:
        meta = _nbgrader_meta(cell)
        if not meta:
            continue
        gid = meta.get("grade_id")
        if not gid:
            out.append("an nbgrader cell without grade_id")
            continue
        seen[gid] = seen.get(gid, 0) + 1
        src = _source(cell)
        if meta.get("solution") and cell.cell_type == "code" and "### BEGIN SOLUTION" not in src:
            out.append(f"solution cell {gid} has no '### BEGIN SOLUTION' region")
        if meta.get("grade") and not meta.get("solution") and not float(meta.get("points", 0) or 0) > 0:
            out.append(f"test cell {gid} has no points")
    out += [f"grade_id {gid} is used {n} times" for gid, n in seen.items() if n > 1]
    return out


# ------------------------------------------------------------------------- data

_PATHLIKE = re.compile(r"""[\w./-]*[\w-]\.[A-Za-z0-9]{1,8}\b""")


def needed_files(nb_path: Path) -> list[Path]:
    """Files next to the notebook that it refers to (``data/x.csv``, ``figures/y.png``),
    plus everything under ``data/`` in the notebooks folder when a cell mentions ``data/``."""
    base = nb_path.parent.resolve()
    nb = nbformat.read(str(nb_path), as_version=4)
    text = "\n".join(_source(c) for c in nb.cells)
    files: set[Path] = set()
    for token in set(_PATHLIKE.findall(text)):
        candidate = (base / token).resolve()
        if candidate.is_file() and base in candidate.parents and candidate.suffix != ".ipynb":
            files.add(candidate)
    if "data/" in text and (base / "data").is_dir():
        files.update(p.resolve() for p in (base / "data").rglob("*") if p.is_file()
                     and not any(part.startswith(".") or part == "__pycache__" for part in p.relative_to(base).parts))
    return sorted(files)


# -------------------------------------------------------------------- nbgrader


def _env_with_venv_on_path() -> dict:
    """The environment with this interpreter's bin/ first on PATH: nbgrader runs the
    `alembic` command of its own environment whenever it opens the gradebook."""
    env = dict(os.environ)
    bindir = str(Path(sys.executable).parent)
    if env.get("PATH", "").split(os.pathsep)[0] != bindir:
        env["PATH"] = os.pathsep.join([bindir, env.get("PATH", "")])
    return env


def run_nbgrader(course: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """``nbgrader ARGS`` in ``course`` with this interpreter; output captured."""
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=str(course),
                          env=_env_with_venv_on_path(), capture_output=True, text=True)
    if check and proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise RuntimeError(f"nbgrader {' '.join(args)} failed (exit {proc.returncode})")
    return proc


_API: dict = {}


def nbgrader_api(course: Path):
    """nbgrader's Python API (what its formgrader uses) for ``course``, configured from
    its nbgrader_config.py; one per course, so nbgrader is imported once."""
    key = str(Path(course).resolve())
    os.environ["PATH"] = _env_with_venv_on_path()["PATH"]
    if key not in _API:
        from nbgrader.apps import NbGraderAPI
        from traitlets.config.loader import PyFileConfigLoader

        config = PyFileConfigLoader("nbgrader_config.py", path=key).load_config()
        config.CourseDirectory.root = key
        _API[key] = NbGraderAPI(config=config)
    return _API[key]


def generate_assignment(course: Path, assignment: str, force: bool) -> None:
    """``nbgrader generate_assignment ASSIGNMENT --create [--force]`` through nbgrader's
    Python API (nbgrader is imported once, not once per notebook)."""
    result = nbgrader_api(course).generate_assignment(assignment, force=force, create=True)
    if not result.get("success"):
        sys.stderr.write(result.get("log", "") + "\n" + result.get("error", "") + "\n")
        raise RuntimeError(f"nbgrader generate_assignment {assignment} failed")


def write_config(course: Path) -> None:
    course.mkdir(parents=True, exist_ok=True)
    config = course / "nbgrader_config.py"
    if not config.exists():
        config.write_text(CONFIG_TEMPLATE.format(course_id=COURSE_ID), encoding="utf-8")


def expand_stub_cells(notebook: Path) -> int:
    """Remove the collapsed-input flag from solution (stub) cells of a student version:
    the stub a student must fill in is never hidden. Returns how many were expanded."""
    nb = nbformat.read(str(notebook), as_version=4)
    changed = 0
    for cell in nb.cells:
        if not _nbgrader_meta(cell).get("solution"):
            continue
        jupyter = cell.metadata.get("jupyter")
        if isinstance(jupyter, dict) and "source_hidden" in jupyter:
            del jupyter["source_hidden"]
            if not jupyter:
                del cell.metadata["jupyter"]
            changed += 1
    if changed:
        nbformat.write(nb, str(notebook))
    return changed


def _display(path: Path) -> str:
    """``path`` relative to the repository when inside it (messages and docs show no
    machine-specific prefix)."""
    try:
        return str(Path(path).resolve().relative_to(REPO)) + ("/" if Path(path).is_dir() else "")
    except ValueError:
        return str(path)


def _release_dir(course: Path, assignment: str) -> Path:
    return course / "release" / assignment


def build(notebooks_dir: Path, course: Path, force: bool = False, out=sys.stdout) -> int:
    """Build course/ from the notebooks. Returns the exit status."""
    notebooks_dir, course = Path(notebooks_dir), Path(course)
    infos = exercise_notebooks(notebooks_dir)
    if not infos:
        print(f"No notebook with nbgrader cells in {_display(notebooks_dir)}: nothing to build.", file=out)
        return 0
    broken = {i.assignment: problems(i) for i in infos}
    broken = {a: p for a, p in broken.items() if p}
    if broken:
        for a, ps in broken.items():
            for p in ps:
                print(f"error: {a}: {p}", file=sys.stderr)
        return 1
    write_config(course)
    built, refused = [], []
    for info in infos:
        a = info.assignment
        release = _release_dir(course, a)
        if release.exists() and not force:
            refused.append(a)
            continue
        source = course / "source" / a
        if source.exists():
            shutil.rmtree(source)
        source.mkdir(parents=True)
        shutil.copy2(info.path, source / f"{a}.ipynb")
        for f in needed_files(info.path):
            dest = source / f.relative_to(info.path.parent.resolve())
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, dest)
        generate_assignment(course, a, force=force)
        for nb in release.glob("*.ipynb"):
            expand_stub_cells(nb)
        built.append(a)
    print_table(infos, out=out, status={a: "built" for a in built} | {a: "kept (exists)" for a in refused})
    print(f"\nStudent versions: {_display(course / 'release')}", file=out)
    if refused:
        print(f"\nNot overwritten (already released): {', '.join(refused)}.\n"
              "Students may already have these versions. To rebuild them anyway run\n"
              "    make assignments FORCE=1      (or tools/assignments.py build --force)\n"
              "which overwrites release/ (never submitted/, autograded/ or feedback/).",
              file=sys.stderr)
        return 1
    return 0


# ------------------------------------------------------------------------ tables


def _fmt_points(p: float) -> str:
    return str(int(p)) if float(p).is_integer() else f"{p:g}"


def print_table(infos: list[NotebookInfo], out=sys.stdout, status: dict[str, str] | None = None) -> None:
    headers = ["assignment", "exercises", "points"] + (["status"] if status else [])
    rows = [[i.assignment, str(len(i.exercises)), _fmt_points(i.points)] + ([status.get(i.assignment, "")] if status else [])
            for i in infos]
    rows.append(["total", str(sum(len(i.exercises) for i in infos)), _fmt_points(sum(i.points for i in infos))]
                + ([""] if status else []))
    widths = [max(len(r[k]) for r in [headers] + rows) for k in range(len(headers))]

    def line(cells):
        return "| " + " | ".join(c.ljust(w) if k == 0 or k == 3 else c.rjust(w)
                                 for k, (c, w) in enumerate(zip(cells, widths))) + " |"

    print(line(headers), file=out)
    print("|" + "|".join("-" * (w + 1) + (":" if 0 < k < 3 else "-") for k, w in enumerate(widths)) + "|", file=out)
    for row in rows:
        print(line(row), file=out)


DOCS = REPO / "docs" / "instructors.md"
DOCS_START, DOCS_END = "<!-- points-table: start -->\n", "<!-- points-table: end -->"


def update_docs(notebooks_dir: Path, docs: Path = DOCS) -> int:
    """Replace the points table in the instructor guide with the current one."""
    import io

    buffer = io.StringIO()
    points_table(notebooks_dir, out=buffer)
    text = docs.read_text(encoding="utf-8")
    if DOCS_START not in text or DOCS_END not in text:
        print(f"error: {docs} has no '{DOCS_START.strip()}' ... '{DOCS_END}' block", file=sys.stderr)
        return 1
    head, rest = text.split(DOCS_START, 1)
    _, tail = rest.split(DOCS_END, 1)
    docs.write_text(head + DOCS_START + buffer.getvalue() + DOCS_END + tail, encoding="utf-8")
    print(f"updated the points table in {_display(docs)}")
    return 0


def points_table(notebooks_dir: Path, out=sys.stdout) -> int:
    """Markdown table of exercises and points per notebook, then each exercise."""
    infos = exercise_notebooks(notebooks_dir)
    if not infos:
        print(f"No notebook with nbgrader cells in {_display(notebooks_dir)} yet.", file=out)
        return 0
    print_table(infos, out=out)
    print("", file=out)
    print("| assignment | exercise | test cell | points | hidden tests |", file=out)
    print("|---|---|---|---:|---|", file=out)
    for info in infos:
        for e in info.exercises:
            print(f"| {info.assignment} | {e.title or '?'} | `{e.grade_id}` | {_fmt_points(e.points)} | "
                  f"{'yes' if e.hidden_tests else 'no'} |", file=out)
    return 0


# ----------------------------------------------------------------------- grading


def submitted_assignments(course: Path) -> list[str]:
    sub = Path(course) / "submitted"
    return sorted({p.name for p in sub.glob("*/*") if p.is_dir()})


def autograde(course: Path, assignments: list[str] | None = None, force: bool = False, jobs: int = 1) -> int:
    """``nbgrader autograde`` each assignment (all students at once), ``jobs`` at a time."""
    course = Path(course)
    todo = assignments or submitted_assignments(course)
    if not todo:
        print(f"No submissions in {_display(course / 'submitted')} (expected submitted/<student>/<assignment>/).")
        return 0
    jobs = max(1, min(jobs, len(todo)))
    if jobs > 1:
        # nbgrader adds unknown students as it grades: add them first, so that parallel
        # runs do not both try to insert the same student
        students = sorted(p.name for p in (course / "submitted").iterdir() if p.is_dir())
        roster = course / ".autograde-students.csv"
        roster.write_text("id\n" + "".join(f"{s}\n" for s in students), encoding="utf-8")
        try:
            run_nbgrader(course, "db", "student", "import", roster.name)
        finally:
            roster.unlink()

    def one(a: str) -> tuple[str, subprocess.CompletedProcess]:
        return a, run_nbgrader(course, "autograde", a, *(["--force"] if force else []), check=False)

    status = 0
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for a, proc in pool.map(one, todo):
            if proc.returncode != 0:
                sys.stderr.write(proc.stdout + proc.stderr)
                print(f"autograde {a}: FAILED (exit {proc.returncode})", file=sys.stderr)
                status = 1
            else:
                print(f"autograde {a}: done")
    return status


def export(course: Path) -> int:
    run_nbgrader(Path(course), "export")
    print(f"wrote {_display(Path(course) / 'grades.csv')}")
    return 0


# --------------------------------------------------------------------------- cli


def _default(var: str, fallback: Path) -> Path:
    value = os.environ.get(var, "").strip()
    return Path(value) if value else fallback


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notebooks", type=Path, default=_default("BACKPROP_NOTEBOOKS_DIR", REPO / "notebooks"))
    parser.add_argument("--course", type=Path, default=_default("BACKPROP_COURSE_DIR", REPO / "course"))
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build course/ and the student versions")
    b.add_argument("--force", action="store_true", help="overwrite existing student versions in release/")
    p = sub.add_parser("points", help="print the exercises and points per notebook")
    p.add_argument("--update-docs", action="store_true", help="paste the table into docs/instructors.md")
    g = sub.add_parser("autograde", help="autograde submitted/ (all assignments, or those named)")
    g.add_argument("assignments", nargs="*")
    g.add_argument("--force", action="store_true", help="grade again submissions already graded")
    g.add_argument("--jobs", type=int, default=1, help="assignments graded at the same time (default 1)")
    sub.add_parser("export", help="write course/grades.csv")
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            return build(args.notebooks, args.course, force=args.force)
        if args.command == "points":
            return update_docs(args.notebooks) if args.update_docs else points_table(args.notebooks)
        if args.command == "autograde":
            return autograde(args.course, args.assignments, force=args.force, jobs=args.jobs)
        if args.command == "export":
            return export(args.course)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 2  # pragma: no cover - argparse rejects other commands


if __name__ == "__main__":
    sys.exit(main())
