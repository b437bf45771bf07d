#!/usr/bin/env python3
"""nbgitpuller links that open each notebook of the series on a JupyterHub.

A student who clicks a link logs in to the hub; nbgitpuller then clones the course
repository into their home folder (or, the next time, merges the instructor's changes
into it without overwriting theirs) and opens the notebook in JupyterLab.

    python3 tools/hub_links.py --hub https://hub.example.edu          # a Markdown table
    python3 tools/hub_links.py --hub URL --format tsv                 # language, notebook, link
    make hub-links HUB=https://hub.example.edu                        # the same table

Options: --repo (default: the course's public repository), --branch (default main),
--target (the folder in each student's home; default: the repository's name), --app
(lab or notebook). The English notebooks are notebooks/*.ipynb; a translation lives in
notebooks/<language code>/ (e.g. notebooks/es/, notebooks/hi/) and gets its own table.

Before printing, the repository and branch are checked with `git ls-remote`, so that a
typo fails here and not in front of a class; --no-check skips that (e.g. offline).
--update-docs writes the table for the example hub into docs/jupyterhub.md.

Only the standard library and git are needed: instructors can run it with any Python 3.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from docs_block import BlockMissing, replace_block

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
DEFAULT_REPO = "https://github.com/backprop-ground-up/backprop-ground-up"
DEFAULT_BRANCH = "main"
EXAMPLE_HUB = "https://hub.example.edu"
DOCS = REPO / "docs" / "jupyterhub.md"
DOCS_START, DOCS_END = "<!-- hub-links: start -->\n", "<!-- hub-links: end -->"
LANGUAGE_DIR = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")  # es, hi, pt-BR, ...
LANGUAGE_NAMES = {"en": "English", "es": "Spanish (español)", "hi": "Hindi (हिन्दी)"}


class LinkError(ValueError):
    """Bad input: the message says what was expected and what was given."""


@dataclass(frozen=True)
class Link:
    language: str
    notebook: str  # path inside the repository, or the folder for the whole course
    url: str


def normalize_hub(hub: str) -> str:
    parsed = urllib.parse.urlparse(hub.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc or parsed.query or parsed.fragment:
        raise LinkError(f"--hub must be the hub's address, like {EXAMPLE_HUB} (http or https, no query); "
                        f"got {hub!r}")
    return f"{parsed.scheme}://{parsed.netloc}{parsed.path.rstrip('/')}"


def default_target(repo: str) -> str:
    """The folder nbgitpuller would choose: the repository's last path part, without .git."""
    name = repo.rstrip("/").split("/")[-1].split(":")[-1]
    name = name[:-4] if name.endswith(".git") else name
    if not name or name in (".", ".."):
        raise LinkError(f"cannot name a folder after the repository {repo!r}: give --target")
    return name


def pull_link(hub: str, repo: str, branch: str, target: str, open_path: str, app: str = "lab") -> str:
    """One nbgitpuller link: pull ``repo``@``branch`` into ``target`` in the student's
    home, then open ``open_path`` (a path inside the repository; a folder or a notebook)."""
    if app not in ("lab", "notebook"):
        raise LinkError(f"--app must be 'lab' or 'notebook', got {app!r}")
    if not branch or branch.startswith("-") or any(c.isspace() for c in branch):
        raise LinkError(f"--branch must be a branch name, got {branch!r}")
    where = f"{target}/{open_path}".rstrip("/")
    if app == "lab":
        urlpath = f"lab/tree/{where}"
    else:
        urlpath = f"notebooks/{where}" if where.endswith(".ipynb") else f"tree/{where}"
    query = urllib.parse.urlencode({"repo": repo, "branch": branch, "targetpath": target, "urlpath": urlpath},
                                   quote_via=urllib.parse.quote, safe="")
    return f"{normalize_hub(hub)}/hub/user-redirect/git-pull?{query}"


def languages(notebooks_dir: Path = NOTEBOOKS) -> dict[str, Path]:
    """{language code: folder}: English in notebooks/, each translation in notebooks/<code>/."""
    found = {"en": notebooks_dir} if any(notebooks_dir.glob("*.ipynb")) else {}
    for sub in sorted(p for p in notebooks_dir.iterdir() if p.is_dir()) if notebooks_dir.is_dir() else []:
        if LANGUAGE_DIR.match(sub.name) and any(sub.glob("*.ipynb")):
            found[sub.name] = sub
    return found


def links(hub: str, repo: str = DEFAULT_REPO, branch: str = DEFAULT_BRANCH, target: str | None = None,
          app: str = "lab", notebooks_dir: Path = NOTEBOOKS) -> list[Link]:
    """A link to the folder of each language, then one per notebook, in order."""
    target = target or default_target(repo)
    if "/" in target.strip("/") or target in (".", ".."):
        raise LinkError(f"--target must be one folder name, got {target!r}")
    root = notebooks_dir.parent
    out = []
    for lang, folder in languages(notebooks_dir).items():
        rel = folder.relative_to(root).as_posix()
        out.append(Link(lang, rel + "/", pull_link(hub, repo, branch, target, rel + "/", app)))
        for nb in sorted(folder.glob("*.ipynb")):
            path = nb.relative_to(root).as_posix()
            out.append(Link(lang, path, pull_link(hub, repo, branch, target, path, app)))
    if not out:
        raise LinkError(f"no notebooks found in {notebooks_dir}")
    return out


def check_remote(repo: str, branch: str) -> None:
    """Fail with a clear message unless ``repo`` can be read and has ``branch``."""
    try:
        proc = subprocess.run(["git", "ls-remote", "--heads", "--", repo], capture_output=True, text=True,
                              timeout=60, env={"GIT_TERMINAL_PROMPT": "0", "LANG": "C", "PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    except FileNotFoundError:
        raise LinkError("git is not installed: install it, or pass --no-check") from None
    except subprocess.TimeoutExpired:
        raise LinkError(f"git ls-remote {repo} did not answer within 60 s: check the address, or pass --no-check") \
            from None
    if proc.returncode != 0:
        lines = [line.strip() for line in proc.stderr.splitlines() if line.strip()]
        reason = next((line for line in lines if line.startswith("fatal:")), lines[0] if lines else "no reason given")
        raise LinkError(f"cannot read the repository {repo!r} ({reason}); students following these links "
                        "would get an error: check --repo")
    heads = [line.split("refs/heads/", 1)[1] for line in proc.stdout.splitlines() if "refs/heads/" in line]
    if branch not in heads:
        raise LinkError(f"the repository {repo!r} has no branch {branch!r} (it has: {', '.join(heads[:10]) or 'none'}{', ...' if len(heads) > 10 else ''}); "
                        "check --branch")


def markdown(items: list[Link]) -> str:
    lines = []
    for lang in dict.fromkeys(link.language for link in items):
        lines += [f"**{LANGUAGE_NAMES.get(lang, lang)}**", "", "| notebook | link |", "|---|---|"]
        for link in (i for i in items if i.language == lang):
            name = "the whole folder" if link.notebook.endswith("/") else Path(link.notebook).stem
            lines.append(f"| {name} | [open on the hub]({link.url}) |")
        lines.append("")
    return "\n".join(lines)


def tsv(items: list[Link]) -> str:
    return "".join(f"{link.language}\t{link.notebook}\t{link.url}\n" for link in items)


def update_docs(table: str, docs: Path = DOCS) -> None:
    try:
        replace_block(docs, DOCS_START, DOCS_END, table)
    except BlockMissing as exc:
        raise LinkError(str(exc)) from None


def docs_table() -> str:
    """The table in docs/jupyterhub.md: the example hub, the public repository."""
    return markdown(links(EXAMPLE_HUB))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hub", help=f"the hub's address, e.g. {EXAMPLE_HUB}")
    parser.add_argument("--repo", default=DEFAULT_REPO, help=f"repository to pull (default {DEFAULT_REPO})")
    parser.add_argument("--branch", default=DEFAULT_BRANCH, help=f"branch to pull (default {DEFAULT_BRANCH})")
    parser.add_argument("--target", help="folder in each student's home (default: the repository's name)")
    parser.add_argument("--app", default="lab", choices=["lab", "notebook"], help="interface to open (default lab)")
    parser.add_argument("--format", default="markdown", choices=["markdown", "tsv"])
    parser.add_argument("--no-check", action="store_true", help="do not check the repository and branch with git")
    parser.add_argument("--update-docs", action="store_true",
                        help=f"write the table for {EXAMPLE_HUB} into docs/jupyterhub.md")
    args = parser.parse_args(argv)
    try:
        if args.update_docs:
            update_docs(docs_table())
            print(f"updated the links in {DOCS.relative_to(REPO)}")
            return 0
        if not args.hub:
            parser.error("--hub is required, e.g. --hub https://hub.example.edu (or HUB=... with make hub-links)")
        items = links(args.hub, args.repo, args.branch, args.target, args.app)
        if not args.no_check:
            check_remote(args.repo, args.branch)
    except LinkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(markdown(items) if args.format == "markdown" else tsv(items))
    return 0


if __name__ == "__main__":
    sys.exit(main())
