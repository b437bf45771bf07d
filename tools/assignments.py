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
                             submissions in course/submitted/, then check each graded
                             test cell (see backprop_lib/checks/grading.py): tampering
                             scores 0; findings go to course/flags.csv and the summary
    export                   `nbgrader export`: course/grades.csv

Options: --notebooks DIR (default notebooks/, or $BACKPROP_NOTEBOOKS_DIR) and
--course DIR (default course/, or $BACKPROP_COURSE_DIR); --edition es|hi makes the
defaults notebooks/es/ and course-es/ (notebooks/hi/, course-hi/): the course in Spanish or
Hindi, whose student versions show the prose and the checkers' feedback in that language.

Exit status: 0 when everything asked for was done; 1 when an existing release was left
alone (rerun with --force, i.e. `make assignments FORCE=1`) or nbgrader failed.
"""
from __future__ import annotations

import argparse
import ast
import csv
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import types
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))   # its sibling modules, also when loaded by path
from docs_block import BlockMissing, replace_block  # noqa: E402

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


def run_nbgrader(course: Path, *args: str, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
    """``nbgrader ARGS`` in ``course`` with this interpreter (``env``: extra variables); output captured."""
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=str(course),
                          env={**_env_with_venv_on_path(), **(env or {})}, capture_output=True, text=True)
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
    try:
        replace_block(docs, DOCS_START, DOCS_END, buffer.getvalue())
    except BlockMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
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
    """``nbgrader autograde`` each assignment (all students at once), ``jobs`` at a time,
    then :func:`review` the notebooks it graded."""
    from backprop_lib.checks.grading import KEY_VARIABLE

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

    # a fresh key per run: only the package's grade() in the kernel publishes seals with it
    key = secrets.token_hex(32)
    started = time.time()

    def one(a: str) -> tuple[str, subprocess.CompletedProcess]:
        return a, run_nbgrader(course, "autograde", a, *(["--force"] if force else []), check=False,
                               env={KEY_VARIABLE: key})

    status, graded = 0, []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for a, proc in pool.map(one, todo):
            if proc.returncode != 0:
                sys.stderr.write(proc.stdout + proc.stderr)
                print(f"autograde {a}: FAILED (exit {proc.returncode})", file=sys.stderr)
                status = 1
            else:
                print(f"autograde {a}: done")
                graded.append(a)
    if graded:
        report(course, review(course, graded, key, since=started))
    return status


# ------------------------------------------------------------- checking the grading
# How grading guards against tampering: the docstring of backprop_lib/checks/grading.py.

FLAGS_CSV = "flags.csv"
FLAG_COLUMNS = ["student_id", "assignment", "exercise", "flag", "points", "detail"]
#: flag -> what happened to the points
FLAG_KINDS = {
    "tampered": "0 (grade found the checking code modified)",
    "bypassed": "0 (the test cell did not run the package's grade)",
    "package-code": "kept (the answer uses the package's own code: look at it)",
}


@dataclass
class Flag:
    student: str
    assignment: str
    exercise: str
    flag: str
    detail: str

    def row(self) -> dict:
        return {"student_id": self.student, "assignment": self.assignment, "exercise": self.exercise,
                "flag": self.flag, "points": FLAG_KINDS[self.flag].split(" ")[0], "detail": self.detail}


def grade_calls(test_source: str) -> list[tuple[str | None, bool]]:
    """The ``grade(check_xxx, answer[, hidden=True])`` calls of a test cell: (checker name, hidden)."""
    calls = []
    for node in ast.walk(_parse(test_source) or ast.Module(body=[], type_ignores=[])):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "grade":
            name = node.args[0].id if node.args and isinstance(node.args[0], ast.Name) else None
            hidden = any(k.arg == "hidden" and isinstance(k.value, ast.Constant) and k.value.value is True
                         for k in node.keywords)
            hidden = hidden or (len(node.args) > 2 and isinstance(node.args[2], ast.Constant) and node.args[2].value is True)
            calls.append((name, hidden))
    return calls


def checker_modules(nb) -> dict[str, str]:
    """``check_xxx`` -> the module the notebook imports it from (its import cells)."""
    found = {}
    for cell in nb.cells:
        tree = _parse(_source(cell)) if cell.cell_type == "code" else None
        for name, (module, attribute) in (_imports(tree) if tree is not None else {}).items():
            if attribute and module.startswith("backprop_lib.checks"):
                found[name] = f"{module}.{attribute}"
    return found


def _parse(source: str):
    """The cell's syntax tree (IPython's ``%`` and ``!`` lines left out), or ``None``."""
    try:
        return ast.parse("\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))))
    except SyntaxError:
        return None


def _imports(tree) -> dict[str, tuple[str, str | None]]:
    """name -> (module, attribute or None) for the import statements in ``tree``."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found[alias.asname or alias.name.split(".")[0]] = (alias.name if alias.asname else alias.name.split(".")[0], None)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                found[alias.asname or alias.name] = (node.module, alias.name)
    return found


def solution_package_uses(nb) -> dict[str, set[str]]:
    """For each test cell (grade_id), what of ``backprop_lib`` the instructor's solution cells
    of that exercise and of the exercises before it use by name (named as the package-code
    check names it): the building blocks an answer may use without being flagged. Earlier
    solutions count because an answer builds on them (notebook 04's MLP on the Neuron of the
    exercise before, which makes Values)."""
    import importlib

    from backprop_lib.checks.grading import package_name

    imports = {}
    for cell in nb.cells:
        tree = _parse(_source(cell)) if cell.cell_type == "code" else None
        if tree is not None:
            imports.update(_imports(tree))

    def resolve(chain: list[str]):
        module, attribute = imports[chain[0]]
        obj = importlib.import_module(module)
        for name in ([attribute] if attribute else []) + chain[1:]:
            if not hasattr(obj, "__dict__") or name not in vars(obj):
                try:
                    obj = importlib.import_module(f"{obj.__name__}.{name}")
                    continue
                except Exception:
                    return None
            obj = vars(obj)[name]
        return obj

    uses: dict[str, set[str]] = {}
    pending: set[str] = set()
    for cell in nb.cells:
        meta = _nbgrader_meta(cell)
        if meta.get("grade") and not meta.get("solution"):
            uses[str(meta.get("grade_id"))] = set(pending)  # cumulative: later answers build on earlier ones
            continue
        if not meta.get("solution"):
            continue
        tree = _parse(_source(cell))
        if tree is None:
            continue
        for node in ast.walk(tree):
            chain = []
            while isinstance(node, ast.Attribute):
                chain.insert(0, node.attr)
                node = node.value
            if not isinstance(node, ast.Name) or node.id not in imports:
                continue
            try:
                obj = resolve([node.id] + chain)
            except Exception:
                continue
            owner = getattr(obj if isinstance(obj, type) or callable(obj) else type(obj), "__module__", "") or ""
            if obj is not None and not isinstance(obj, types.ModuleType) and owner.split(".")[0] == "backprop_lib":
                pending.add(package_name(obj))
    return uses


def _seals(cell) -> list[dict]:
    from backprop_lib.checks.grading import SEAL_MIME

    return [o["data"][SEAL_MIME] for o in cell.get("outputs", [])
            if o.get("output_type") == "display_data" and isinstance(o.get("data", {}).get(SEAL_MIME), dict)]


def _unsealed(calls, seals, modules: dict[str, str], key: str) -> list[str]:
    """The calls of ``calls`` without a valid seal of their own among ``seals``."""
    from backprop_lib.checks.grading import seal_is_valid

    left = [s for s in seals if seal_is_valid(key, s)]
    missing = []
    for name, hidden in calls:
        expected = modules.get(name) if name else None
        match = next((s for s in left if s.get("hidden") is hidden
                      and (expected is None or s.get("checker") == expected)
                      and (name is None or str(s.get("checker", "")).rsplit(".", 1)[-1] == name)), None)
        if match is None:
            missing.append(f"grade({name or '?'}, ...{', hidden=True' if hidden else ''})")
        else:
            left.remove(match)
    return missing


def review(course: Path, assignments: list[str], key: str, since: float = 0.0) -> list[Flag]:
    """Check the test cells of the notebooks autograded since ``since`` (a ``time.time()``):

    * an error saying the checking code was modified: ``tampered`` (nbgrader gave 0);
    * a test cell that scored without a valid seal for each of its ``grade`` calls:
      ``bypassed``; its score is set to 0 in the gradebook and its autograded notebook
      gets an error output saying why;
    * a seal that names the package's code used by the answer: ``package-code``; the
      points stay, the cell is marked for manual grading.

    Writes ``course/flags.csv`` (rows of other notebooks are kept) and returns the flags.
    """
    from nbgrader.api import Gradebook

    from backprop_lib.checks.grading import TAMPER_MARK

    course = Path(course)
    flags: list[Flag] = []
    reviewed: set[tuple[str, str]] = set()
    updates: list[tuple[Flag, str]] = []   # (flag, notebook name) for the gradebook
    for a in assignments:
        for source_path in sorted((course / "source" / a).glob("*.ipynb")):
            source_nb = nbformat.read(str(source_path), as_version=4)
            tests = {str(_nbgrader_meta(c).get("grade_id")): _source(c) for c in source_nb.cells
                     if _nbgrader_meta(c).get("grade") and not _nbgrader_meta(c).get("solution")}
            modules = checker_modules(source_nb)
            given = solution_package_uses(source_nb)
            for path in sorted((course / "autograded").glob(f"*/{a}/{source_path.name}")):
                if path.stat().st_mtime < since - 1:
                    continue  # not graded in this run
                student = path.parts[-3]
                reviewed.add((student, a))
                nb = nbformat.read(str(path), as_version=4)
                changed = False
                for cell in nb.cells:
                    gid = str(_nbgrader_meta(cell).get("grade_id"))
                    if gid not in tests or cell.cell_type != "code":
                        continue
                    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"
                              or (o.get("output_type") == "stream" and o.get("name") == "stderr")]
                    tamper = [o for o in errors if o.get("ename") == "CheckingCodeModified"   # any language
                              or TAMPER_MARK in str(o.get("evalue", ""))]
                    if tamper:
                        flags.append(Flag(student, a, gid, "tampered", str(tamper[0]["evalue"]).splitlines()[0]))
                        continue
                    if errors:
                        continue  # 0 points already
                    seals = _seals(cell)
                    missing = _unsealed(grade_calls(tests[gid]), seals, modules, key)
                    if missing:
                        detail = f"no proof that the package's grade ran: {', '.join(missing)}"
                        flag = Flag(student, a, gid, "bypassed", detail)
                        flags.append(flag)
                        updates.append((flag, path.stem))
                        cell.outputs.append(nbformat.v4.new_output(
                            "error", ename="CheckingCodeModified", evalue=f"{TAMPER_MARK}: {detail} (0 points)",
                            traceback=[f"✘ {TAMPER_MARK}: {detail} (0 points)"]))
                        changed = True
                        continue
                    references = sorted({r for s in seals for r in s.get("references", [])} - given.get(gid, set()))
                    if references:
                        flag = Flag(student, a, gid, "package-code", f"uses {', '.join(references)}")
                        flags.append(flag)
                        updates.append((flag, path.stem))
                if changed:
                    nbformat.write(nb, str(path))
    if updates:
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
            for flag, notebook in updates:
                grade = gb.find_grade(flag.exercise, notebook, flag.assignment, flag.student)
                if flag.flag == "bypassed":
                    grade.auto_score = 0.0
                else:
                    grade.needs_manual_grade = True
            gb.db.commit()
    _write_flags(course, flags, reviewed)
    return flags


def _write_flags(course: Path, flags: list[Flag], reviewed: set[tuple[str, str]]) -> None:
    """``course/flags.csv``: these flags, plus the rows of notebooks not reviewed now."""
    path = course / FLAGS_CSV
    rows = []
    if path.exists():
        with open(path, newline="", encoding="utf-8") as fh:
            rows = [r for r in csv.DictReader(fh) if (r.get("student_id"), r.get("assignment")) not in reviewed]
    rows += [f.row() for f in flags]
    rows.sort(key=lambda r: (r["assignment"], r["student_id"], r["exercise"], r["flag"]))
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=FLAG_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def report(course: Path, flags: list[Flag], out=sys.stdout) -> None:
    """The summary after autograding: each flag, or that there is none."""
    if not flags:
        print(f"grading checked: nothing flagged ({_display(Path(course) / FLAGS_CSV)})", file=out)
        return
    submissions = len({(f.student, f.assignment) for f in flags})
    print(f"\nFLAGGED: {len(flags)} exercise(s) in {submissions} submission(s); "
          f"details in {_display(Path(course) / FLAGS_CSV)}:", file=out)
    for f in flags:
        print(f"  {f.student} {f.assignment} {f.exercise}: {f.flag}, points {FLAG_KINDS[f.flag]}", file=out)
        print(f"      {f.detail}", file=out)


def export(course: Path) -> int:
    run_nbgrader(Path(course), "export")
    print(f"wrote {_display(Path(course) / 'grades.csv')}")
    flags = Path(course) / FLAGS_CSV
    if flags.exists():
        with open(flags, newline="", encoding="utf-8") as fh:
            count = sum(1 for _ in csv.DictReader(fh))
        if count:
            print(f"{count} exercise(s) flagged by autograde: see {_display(flags)}")
    return 0


# --------------------------------------------------------------------------- cli


def _default(var: str, fallback: Path) -> Path:
    value = os.environ.get(var, "").strip()
    return Path(value) if value else fallback


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edition", choices=["es", "hi"],
                        help="the Spanish or Hindi edition: notebooks/<lang>/ into course-<lang>/")
    parser.add_argument("--notebooks", type=Path)
    parser.add_argument("--course", type=Path)
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
    edition = f"/{args.edition}" if args.edition else ""
    args.notebooks = args.notebooks or _default("BACKPROP_NOTEBOOKS_DIR", REPO / f"notebooks{edition}")
    args.course = args.course or _default("BACKPROP_COURSE_DIR", REPO / f"course{edition.replace('/', '-')}")
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
