"""Every notebook, opened and run in JupyterLab in a real browser, with every widget used.

For each notebook: open it in a fresh kernel, check that nothing shows "Error displaying
widget" before running, run all cells, and fail on error outputs, stderr-styled output in
the page (where tracebacks from widget callbacks appear: they never reach the saved
notebook), browser console errors, or code cells left unexecuted. Then every widget
(root element with class ``bp-widget``) is driven like a user would: each slider gets an
ArrowRight (ArrowLeft at its maximum), each dropdown another option, each checkbox and
button a click, and after each action the widget's ``bp-figure`` image must change.

The Spanish and Hindi editions (notebooks/es/, notebooks/hi/) get the same test; no widget there
may show a label in English that its language's catalog translates.

Set BACKPROP_NOTEBOOK_DIR to test notebooks elsewhere; screenshots go to screenshots/.
"""
from __future__ import annotations

import gettext
import os
import re
import time
from functools import cache
from pathlib import Path

import pytest

from backprop_lib import i18n

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = Path(os.environ.get("BACKPROP_NOTEBOOK_DIR", ROOT / "notebooks")).resolve()
SCREENSHOT_DIR = ROOT / "screenshots"

EDITIONS = ("es", "hi")
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb")) + [
    path for lang in EDITIONS for path in sorted((NOTEBOOK_DIR / lang).glob("*.ipynb"))]
RUN_TIMEOUT_MS = 180_000      # a whole run-all; each notebook should take ~20 s
FIGURE_TIMEOUT_MS = 15_000    # a widget's picture must change within this after an action
STDERR = '[data-mime-type="application/vnd.jupyter.stderr"]'

# Console messages that are not problems of ours, as (pattern, why it is harmless).
# None has been needed so far with JupyterLab 4.6 and Debian's Chromium: every console
# error fails the test. Add an entry only with the reason it cannot be a bug of ours.
HARMLESS_CONSOLE: list[tuple[re.Pattern, str]] = []

pytestmark = pytest.mark.browser

# --- JavaScript run in the page (window.jupyterapp exists thanks to --expose-app-in-browser)

JS_PANEL = """
(name) => {
  const app = window.jupyterapp;
  if (!app || !app.shell) return null;
  for (const w of app.shell.widgets('main')) {
    if (w.context && w.context.path === name && w.content && w.sessionContext) return w;
  }
  return null;
}
"""

JS_WAIT_READY = """
async (name) => {
  const findPanel = %s;
  const sleep = (ms) => new Promise(r => setTimeout(r, ms));
  let panel = null;
  while (!(panel = findPanel(name))) await sleep(100);
  await panel.context.ready;
  await panel.sessionContext.ready;
  await panel.revealed;
  for (;;) {
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    if (kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle') break;
    await sleep(100);
  }
  return panel.sessionContext.session.kernel.name;
}
""" % JS_PANEL

JS_RUN_ALL = """
async ([name, timeoutMs]) => {
  const findPanel = %s;
  const app = window.jupyterapp;
  const panel = findPanel(name);
  const sleep = (ms) => new Promise(r => setTimeout(r, ms));
  const deadline = Date.now() + timeoutMs;
  app.shell.activateById(panel.id);
  // The command settles as soon as one cell fails, possibly before later cells ran (a
  // cell tagged raises-exception does not stop the run): so wait until no cell is queued
  // or running and the kernel is idle, twice in a row.
  let outcome = 'ok';
  app.commands.execute('notebook:run-all-cells').then(ok => { if (!ok) outcome = 'failed'; },
                                                      err => { outcome = 'failed: ' + err; });
  await sleep(200);
  const kernel = panel.sessionContext.session.kernel;
  const busy = () => kernel.status !== 'idle' ||
    panel.content.widgets.some(c => c.model.type === 'code' && c.model.executionState === 'running');
  let quiet = 0;
  while (quiet < 2) {
    if (Date.now() > deadline) return ['timeout', kernel.status];
    quiet = busy() ? 0 : quiet + 1;
    await sleep(250);
  }
  return [outcome, kernel.status];
}
""" % JS_PANEL

JS_CELLS = """
(name) => {
  const panel = (%s)(name);
  return panel.content.widgets.map((cell, index) => {
    const m = cell.model;
    const tags = m.getMetadata('tags') || [];
    const info = {index, id: m.id, type: m.type, tags, source: m.sharedModel.getSource().slice(0, 80)};
    if (m.type === 'code') {
      info.executionCount = m.executionCount;
      info.errors = [];
      info.stderrStreams = 0;
      for (let i = 0; i < m.outputs.length; i++) {
        const o = m.outputs.get(i).toJSON();
        if (o.output_type === 'error') info.errors.push(o.ename + ': ' + o.evalue);
        if (o.output_type === 'stream' && o.name === 'stderr') info.stderrStreams++;
      }
      info.stderrInPage = Array.from(cell.node.querySelectorAll('%s'))
        .map(e => e.textContent.slice(0, 2000));
    }
    return info;
  });
}
""" % (JS_PANEL, STDERR)


JS_OPEN_LOG_CONSOLE = """
async () => {
  // Output that a kernel sends outside any cell (a traceback from a widget callback, a
  // print in an observer) goes to JupyterLab's log console: open it so it is in the page.
  await window.jupyterapp.commands.execute('logconsole:open', {insertMode: 'split-bottom'});
}
"""

JS_STRAY_STDERR = """
() => Array.from(document.querySelectorAll('%s'))
  .filter(e => !e.closest('.jp-Notebook .jp-Cell'))
  .map(e => e.textContent.slice(0, 2000))
""" % STDERR


def _console_collector(page):
    problems: list[str] = []

    def on_console(msg):
        if msg.type == "error" and not any(p.search(msg.text) for p, _why in HARMLESS_CONSOLE):
            problems.append(f"console error: {msg.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(f"uncaught page error: {exc}"))
    return problems


def _cell_problems(cells) -> list[str]:
    problems = []
    for c in cells:
        if c["type"] != "code":
            continue
        where = f"cell {c['index']} (id {c['id']}, {c['source'].splitlines()[0] if c['source'] else ''!r})"
        expected_error = "raises-exception" in c["tags"]
        if c["executionCount"] is None and c["source"].strip():
            problems.append(f"{where}: not executed")
        if c["errors"] and not expected_error:
            problems.append(f"{where}: error output {c['errors']}")
        # In a raises-exception cell the expected traceback is rendered stderr-styled too.
        allowed = len(c["errors"]) if expected_error else 0
        if len(c["stderrInPage"]) > allowed:
            shown = "\n---\n".join(c["stderrInPage"])
            problems.append(f"{where}: stderr-styled output in the page:\n{shown}")
    return problems


def _open(page, lab_server, name):
    page.goto(f"{lab_server.url}/lab/tree/{name}?reset&token={lab_server.token}")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started", timeout=60_000)
    kernel = page.evaluate(JS_WAIT_READY, name)
    assert kernel == "python3", f"{name} opened with kernel {kernel!r}"
    page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=30_000)
    page.evaluate(JS_OPEN_LOG_CONSOLE)
    page.locator(".jp-LogConsolePanel").first.wait_for(timeout=10_000)


def _page_problems(page, name) -> list[str]:
    problems = _cell_problems(page.evaluate(JS_CELLS, name))
    for text in page.evaluate(JS_STRAY_STDERR):
        problems.append(f"stderr-styled output outside the cells (log console):\n{text}")
    return problems


def _figure(root):
    return root.locator("img.bp-figure, .bp-figure img").first


def _act_and_expect_change(page, root, label, action):
    """Do one user action; the picture must change, and no traceback may appear meanwhile."""
    image = _figure(root)
    before = image.get_attribute("src")
    tracebacks_before = page.locator(STDERR).count()
    action()
    deadline = time.monotonic() + FIGURE_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        if page.locator(STDERR).count() > tracebacks_before:
            shown = "\n".join(page.locator(STDERR).all_inner_texts()[tracebacks_before:])
            raise AssertionError(f"stderr-styled output after {label}:\n{shown}")
        if image.get_attribute("src") != before:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"the widget's bp-figure did not change within "
                         f"{FIGURE_TIMEOUT_MS // 1000} s after: {label}")


CONTROLS = ".noUi-handle, select, input[type=checkbox], button"

JS_CONTROL_INFO = """
(el) => {
  const target = el.closest('.noUi-target');
  const disabled = el.disabled || (target !== null && target.hasAttribute('disabled'))
    || el.closest('.jupyter-widgets.mod-disabled') !== null;
  return {
    kind: el.classList.contains('noUi-handle') ? 'slider' : el.tagName.toLowerCase() === 'select'
      ? 'dropdown' : el.tagName.toLowerCase() === 'input' ? 'checkbox' : 'button',
    disabled,
    // The selected member of a ToggleButtons group does nothing when clicked again.
    selectedToggle: el.classList.contains('mod-active') && el.closest('.widget-toggle-buttons') !== null,
    atMax: el.getAttribute('aria-valuenow') === el.getAttribute('aria-valuemax'),
    text: (el.innerText || el.getAttribute('title') || '').trim().slice(0, 40),
  };
}
"""


def _use_control(page, root, control, label) -> bool:
    """Use one control like a user; False if it cannot be used now (disabled, no choice)."""
    if not control.is_visible():
        return False
    info = control.evaluate(JS_CONTROL_INFO)
    if info["disabled"]:
        return False
    kind = info["kind"]
    if kind == "slider":
        key = "ArrowLeft" if info["atMax"] else "ArrowRight"
        _act_and_expect_change(page, root, f"{label}: slider, {key}",
                               lambda: (control.focus(), control.press(key)))
    elif kind == "dropdown":
        options = control.locator("option").evaluate_all("os => os.map(o => o.value)")
        others = [o for o in options if o != control.input_value()]
        if not others:
            return False
        _act_and_expect_change(page, root, f"{label}: dropdown, pick {others[0]!r}",
                               lambda: control.select_option(others[0]))
    elif kind == "checkbox":
        _act_and_expect_change(page, root, f"{label}: checkbox, click", control.click)
    else:
        if info["selectedToggle"]:
            return False
        try:  # still usable? A play loop ending between the check above and now may disable it
            control.click(trial=True, timeout=5000)
        except Exception as exc:  # playwright's TimeoutError; playwright is imported by fixtures only
            if type(exc).__name__ != "TimeoutError":
                raise
            return False  # tried again at the end, like any control disabled when its turn comes
        _act_and_expect_change(page, root, f"{label}: button {info['text']!r}, click", control.click)
    return True


def _exercise_widget(page, root, w_index) -> int:
    """Use every control of one bp-widget, in page order; return the number of actions.

    A control that is disabled when its turn comes is tried again at the end (choosing
    an option elsewhere may have enabled it). A button that would do nothing in the
    current state must be disabled by the widget, or the test fails.
    """
    assert _figure(root).count() == 1, f"widget {w_index}: no <img> with class bp-figure inside .bp-widget"
    root.scroll_into_view_if_needed()
    controls = root.locator(CONTROLS).all()
    actions, skipped = 0, []
    for k, control in enumerate(controls):
        if _use_control(page, root, control, f"widget {w_index}, control {k}"):
            actions += 1
        else:
            skipped.append((k, control))
    for k, control in skipped:
        if _use_control(page, root, control, f"widget {w_index}, control {k} (second pass)"):
            actions += 1
    return actions


@cache
def _catalog_texts(lang: str) -> frozenset[str]:
    """The English labels the ``lang`` catalog translates differently: whole messages without
    placeholders, as a control or a status line shows them (some short labels, such as "depth"
    in Hindi, are kept English on purpose and are not in this set)."""
    with (i18n.LOCALE_DIR / lang / "LC_MESSAGES" / f"{i18n.DOMAIN}.mo").open("rb") as f:
        catalog = gettext.GNUTranslations(f)._catalog
    english, translated = set(), set()
    for msgid, msgstr in catalog.items():
        if isinstance(msgid, str) and msgid and msgstr != msgid and "{" not in msgid:
            english.add(msgid.strip())
            translated.add(msgstr.strip())
    return frozenset(english - translated)


def _edition(path: Path) -> str | None:
    return path.parent.name if path.parent.name in EDITIONS else None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.relative_to(NOTEBOOK_DIR).as_posix() for p in NOTEBOOKS])
def test_notebook_runs_and_widgets_respond(lab_page, lab_server, path):
    page = lab_page
    name = path.relative_to(NOTEBOOK_DIR).as_posix()
    lang = _edition(path)
    console_problems = _console_collector(page)

    _open(page, lab_server, name)
    assert page.get_by_text("Error displaying widget").count() == 0, (
        f"{name}: a stored widget view shows 'Error displaying widget' before running; run `make notebooks`"
    )

    result, status = page.evaluate(JS_RUN_ALL, [name, RUN_TIMEOUT_MS])
    problems = _page_problems(page, name)
    if result == "timeout":
        problems.insert(0, f"run-all did not finish within {RUN_TIMEOUT_MS // 1000} s (kernel {status})")
    elif status != "idle":
        problems.insert(0, f"kernel still {status} after run-all")
    if page.get_by_text("Error displaying widget").count():
        problems.append("'Error displaying widget' after running")
    assert not problems + console_problems, f"{name}:\n" + "\n".join(problems + console_problems)

    roots = page.locator(".bp-widget")
    try:
        for w_index in range(roots.count()):
            root = roots.nth(w_index)
            actions = _exercise_widget(page, root, w_index)
            assert actions > 0, f"{name}: widget {w_index} has no control the test knows how to use"
            errors = [t for t in root.locator(".bp-error").all_inner_texts() if t.strip()]
            assert not errors, f"{name}: widget {w_index} reports an error:\n" + "\n".join(errors)
            if lang:   # every label the catalog translates is shown translated
                english = _catalog_texts(lang)
                lines = {line.strip() for line in root.inner_text().splitlines() if line.strip()}
                left = sorted(lines & english)
                assert not left, f"{name}: widget {w_index} shows English labels in a {lang!r} edition: {left}"
        page.wait_for_timeout(300)  # let a late traceback from the last callback arrive
        problems = _page_problems(page, name)
        assert not problems + console_problems, (
            f"{name}: after using the widgets:\n" + "\n".join(problems + console_problems)
        )
        if roots.count():
            roots.first.scroll_into_view_if_needed()
    finally:
        SCREENSHOT_DIR.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / f"{lang + '-' if lang else ''}{path.stem}.png"))
