"""The course on a real JupyterHub: nbgitpuller links, a notebook run in a student's
server, nbgitpuller's merge, bad links, and nbgrader's exchange, then a clean stop.

The hub (tests/hub/jupyterhub_config.py) listens on 127.0.0.1 only, on ports the OS
chooses, with JupyterHub's dummy authenticator and simple local-process spawner; its
proxy is configurable-http-proxy from npm (tests/hub/package-lock.json, installed by
`make test`). The course repository is a local bare clone of this repository, and the
links come from tools/hub_links.py. Two students use it through the same HTTP requests a
browser makes. For nbgrader's exchange each student is also a Unix user, as on The
Littlest JupyterHub: the exchange tells students apart by the owner of their files.

The tests run in order and share the hub; the last one stops it and checks that
nothing is left running.
"""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import hub_helpers as hh
import nbformat
import pytest
from hub_helpers import COURSE_FOLDER, STUDENTS
from nbgrader.apps.nbgraderapp import NbGraderApp

sys.path.insert(0, str(hh.REPO / "tests" / "classroom"))
import classroom_helpers as ch  # noqa: E402

# A real notebook of the series, run in a student's server: a quick one (any would do).
RUN_NOTEBOOK = "notebooks/00_start_here.ipynb"
# The assignment handed out through nbgrader's exchange, from the classroom fixture course.
ASSIGNMENT = "01_demo_squares"
TOOL = hh.REPO / "tools" / "hub_links.py"
IGNORED_OUTPUT = {"nbval-ignore-output", "nbval-skip"}

# nbgrader 0.9.6's autograde, run in this process through its Python API, warns from
# inside nbgrader: SQLAlchemy 2 session warnings, and nbformat's for the test cell it puts
# back without a cell id. The grades are checked exactly below.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Object of type <Submitted:sqlalchemy.exc.SAWarning"),
    pytest.mark.filterwarnings("ignore:Cell is missing an id field:nbformat.warnings.MissingIDFieldWarning"),
]


def _tree(folder: Path) -> dict[str, tuple[int, int]]:
    """{relative path: (size, mtime_ns)} of every file under ``folder``."""
    if not folder.exists():
        return {}
    return {p.relative_to(folder).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


def _tracked_notebooks(remote) -> set[str]:
    """The notebooks of the series in the remote's branch (notebooks/*.ipynb)."""
    files = hh.git("-C", str(remote.path), "ls-tree", "--name-only", remote.branch, "notebooks/").splitlines()
    return {f for f in files if f.endswith(".ipynb")}


def _pull(browser, link):
    result = browser.follow_pull_link(link)
    assert result.phase == "finished", (
        f"{browser.user}: nbgitpuller did not finish: {result.message}\n{result.output}\n{browser.hub.log_tail()}")
    assert result.landing_status == 200, f"{browser.user}: the link's page answered {result.landing_status}"
    return result


# --------------------------------------------------------------------- nbgitpuller


def test_two_students_follow_the_link_and_run_a_notebook(hub, remote, links, browsers):
    link = links[RUN_NOTEBOOK]
    assert link.startswith(f"{hub.url}/hub/user-redirect/git-pull?")
    notebooks = _tracked_notebooks(remote)
    assert RUN_NOTEBOOK in notebooks
    for name in STUDENTS:
        _pull(browsers[name], link)
        course = hub.home(name) / COURSE_FOLDER
        arrived = {p.relative_to(course).as_posix() for p in course.glob("notebooks/*.ipynb")}
        assert arrived == notebooks, f"{name}: the notebooks in the home differ from the repository's"

    # run the notebook in the first student's server, in a fresh kernel, as JupyterLab
    # would, and compare with the outputs stored in it
    student = browsers[STUDENTS[0]]
    pulled = hub.home(student.user) / COURSE_FOLDER / RUN_NOTEBOOK
    stored = [c for c in nbformat.read(str(pulled), as_version=4).cells if c.cell_type == "code"]
    ran = student.run_notebook(f"{COURSE_FOLDER}/{RUN_NOTEBOOK}")
    assert len(ran) == len(stored), "the run stopped early:\n" + json.dumps(ran[-1][1], indent=1)[:3000]
    for (cell, outputs), reference in zip(ran, stored):
        tags = set(cell.get("metadata", {}).get("tags", []))
        errors = [o for o in outputs if o["output_type"] == "error"]
        if "raises-exception" not in tags:
            assert not errors, f"cell {cell.get('id')} failed in the hub:\n" + "\n".join(errors[0]["traceback"])
        if tags & IGNORED_OUTPUT:
            continue
        assert hh.comparable(outputs) == hh.comparable(reference.outputs), (
            f"cell {cell.get('id')}: the output in the hub differs from the stored one")


def test_following_the_link_again_keeps_edits_and_brings_new_files(hub, root, remote, links, browsers):
    link = links[RUN_NOTEBOOK]
    editor, other = browsers[STUDENTS[0]], browsers[STUDENTS[1]]
    for b in (editor, other):
        _pull(b, link)

    # the student writes a note in the notebook and saves it (JupyterLab's contents API)
    path = f"{COURSE_FOLDER}/{RUN_NOTEBOOK}"
    nb = editor.get_notebook(path)
    note = f"My notes ({editor.user}): the slope at 1.5 is 3."
    nb["cells"].append({"cell_type": "markdown", "id": "student-note", "metadata": {}, "source": note})
    editor.save_notebook(path, nb)

    # the instructor adds a file and changes another, and pushes
    work = root / "instructor"
    hh.git("clone", "--quiet", remote.url, str(work))
    (work / "notebooks" / "week2_announcement.md").write_text("# Week 2\n\nRead notebooks 03 and 04.\n")
    readme = work / "README.md"
    readme.write_text(readme.read_text() + "\nUpdated for week 2.\n")
    hh.git("-C", str(work), "add", "-A")
    hh.git("-C", str(work), "-c", "user.name=Instructor", "-c", "user.email=instructor@example.edu",
           "commit", "--quiet", "-m", "Week 2")
    hh.git("-C", str(work), "push", "--quiet", "origin", f"HEAD:{remote.branch}")

    for b in (editor, other):
        _pull(b, link)
        course = hub.home(b.user) / COURSE_FOLDER
        assert (course / "notebooks" / "week2_announcement.md").read_text().startswith("# Week 2"), b.user
        assert (course / "README.md").read_text().endswith("Updated for week 2.\n"), b.user
    edited = json.loads((hub.home(editor.user) / path).read_text())
    assert any("".join(c["source"]) == note for c in edited["cells"]), "the student's edit was lost"
    untouched = json.loads((hub.home(other.user) / path).read_text())
    assert not any(note in "".join(c["source"]) for c in untouched["cells"])


def test_links_to_a_missing_repository_or_branch_fail_clearly(hub, root, remote, browsers):
    student = browsers[STUDENTS[1]]
    home = hub.home(student.user)
    before = _tree(home / COURSE_FOLDER)
    assert before, "the course folder should be there from the earlier pulls"
    missing_repo = (root / "remote" / "no-such-course.git").as_uri()

    # the link generator refuses both, naming what is wrong
    for args, expected in [(["--repo", missing_repo], "cannot read the repository"),
                           (["--repo", remote.url, "--branch", "no-such-branch"], "has no branch 'no-such-branch'")]:
        proc = subprocess.run([sys.executable, str(TOOL), "--hub", hub.url, *args, "--format", "tsv"],
                              capture_output=True, text=True)
        assert proc.returncode == 1 and expected in proc.stderr and not proc.stdout, proc.stderr

    # following such links anyway: an error on nbgitpuller's page, and the home folder as it was
    sys.path.insert(0, str(hh.REPO / "tools"))
    import hub_links

    bad_repo = hub_links.pull_link(hub.url, missing_repo, "main", "no-such-course", "notebooks/")
    result = student.follow_pull_link(bad_repo)
    assert result.phase == "error" and "remote" in result.message.lower(), result.events
    assert not (home / "no-such-course").exists(), "a failed clone left a folder behind"

    bad_branch = hub_links.pull_link(hub.url, remote.url, "no-such-branch", COURSE_FOLDER, RUN_NOTEBOOK)
    result = student.follow_pull_link(bad_branch)
    assert result.phase == "error" and "branch" in result.message.lower(), result.events
    assert _tree(home / COURSE_FOLDER) == before, "a failed pull changed the student's course folder"


# ------------------------------------------------------------------------- nbgrader


def nbgrader(*argv: str) -> None:
    """`nbgrader ARGV` in this process (run as a student by hh.run_as)."""
    NbGraderApp.clear_instance()
    NbGraderApp.launch_instance(argv=list(argv))


def write_notebook(nb, path: str) -> None:
    nbformat.write(nb, path)


def _ok(result: dict, what: str) -> str:
    assert result.get("success"), f"{what} failed:\n{result.get('log', '')}\n{result.get('error', '')}"
    return result.get("log", "")


def test_nbgrader_release_fetch_submit_collect_autograde(hub, root, accounts, browsers):
    tool = ch.load_tool()
    course_id = tool.COURSE_ID
    exchange = root / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)  # as nbgrader's docs say: every user writes into it

    # the instructor builds the course (the classroom fixture notebooks) with the exchange
    # set, and releases one assignment; nbgrader's Python API is what formgrader runs
    course = root / "course"
    tool.write_config(course)
    with open(course / "nbgrader_config.py", "a") as fh:
        fh.write(f"\nc.Exchange.root = {str(exchange)!r}\n")
    assert tool.build(ch.FIXTURE_NOTEBOOKS, course, out=io.StringIO()) == 0
    instructor = tool.nbgrader_api(course)
    _ok(instructor.release_assignment(ASSIGNMENT), "release_assignment")
    # the hub-wide config every student's server and command reads (/etc/jupyter on a hub)
    (hub.jupyter_path / "nbgrader_config.py").write_text(
        f"c = get_config()  # noqa: F821\nc.CourseDirectory.course_id = {course_id!r}\n"
        f"c.Exchange.root = {str(exchange)!r}\n")

    # students see it in their Assignments tab (the nbgrader extension of their server)
    for name in STUDENTS:
        r = browsers[name].session.get(browsers[name].server + "assignments", params={"course_id": course_id},
                                       timeout=60)
        listing = r.json()
        assert r.status_code == 200 and listing["success"], listing
        assert [(a["assignment_id"], a["status"]) for a in listing["value"]] == [(ASSIGNMENT, "released")]

    # each student fetches it, answers and submits, as their own Unix user, in their home
    env = {"JUPYTER_CONFIG_PATH": str(hub.jupyter_path)}
    source_nb = ch.read(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    exercises = ch.exercises(source_nb)
    first, last = exercises[0], exercises[-1]
    assert first is not last, "the assignment needs two exercises"
    full = {e.test_id: e.points for e in exercises}
    plans = {
        STUDENTS[0]: ({}, full),
        # a wrong answer to the first exercise, and the last test cell deleted (right answer)
        STUDENTS[1]: ({"wrong": set(first.solution_ids), "delete_tests": {last.test_id}},
                      {**full, first.test_id: 0.0}),
    }
    for name, (changes, _expected) in plans.items():
        account = accounts[name]
        ran = hh.run_as(account, nbgrader, "fetch_assignment", ASSIGNMENT, env=env)
        assert ran.returncode == 0, ran.output
        fetched = account.home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        assert fetched.stat().st_uid == account.uid, "the fetched assignment is not the student's"
        assert (account.home / ASSIGNMENT / "data" / "demo_numbers.csv").is_file(), "the data file did not come"
        answered = ch.student_version(ch.read(fetched), source_nb, **changes)
        ran = hh.run_as(account, write_notebook, answered, str(fetched))
        assert ran.returncode == 0, ran.output
        ran = hh.run_as(account, nbgrader, "submit", ASSIGNMENT, env=env)
        assert ran.returncode == 0, ran.output

    # the inbound folder is write-only for students: one cannot read another's submission
    inbound = exchange / course_id / "inbound"
    peek = hh.run_as(accounts[STUDENTS[1]], os.listdir, str(inbound))
    assert peek.returncode != 0 and "PermissionError" in peek.output, peek.output
    owners = {p.name.split("+")[0]: p.stat().st_uid for p in inbound.iterdir()}
    assert owners == {name: accounts[name].uid for name in STUDENTS}

    # the instructor collects (nbgrader checks that each submission's owner is the
    # student it names) and autogrades
    log = _ok(instructor.collect(ASSIGNMENT), "collect")
    assert "cheating attempt" not in log, log
    for name, (_changes, expected) in plans.items():
        assert (course / "submitted" / name / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file(), log
        _ok(instructor.autograde(ASSIGNMENT, name), f"autograde {name}")
        with instructor.gradebook as gb:
            submission = gb.find_submission(ASSIGNMENT, name)
            scores = {g.name: g.score for nb in submission.notebooks for g in nb.grades}
            assert scores == expected, name
            assert submission.score == sum(expected.values()), name


# -------------------------------------------------------------------------- cleanup


def test_stopping_the_hub_leaves_nothing_running(hub):
    hub.remember_processes()
    servers = [p for p in hub.seen_pids if p != hub.proc.pid]
    assert servers, "the hub's proxy and servers should have been running"
    left = hub.stop()
    assert not left, "still running after the hub was stopped:\n" + "\n".join(left)
    assert hub.proc.returncode is not None
