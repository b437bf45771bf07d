"""What a graded test cell calls, ``grade(check_xxx, students_answer)``, and why a student's
cell cannot fool it the easy way.

This docstring is the one place that explains how grading guards against tampering
(CONTRIBUTING.md and docs/instructors.md refer to it).

The problem
-----------
A test cell is locked, but it runs in the student's kernel, after the student's cells.
Those cells can rebind ``check_xxx``, set attributes of the package's modules, replace a
class, a method or a ``sys.modules`` entry. One line such as
``check_centered_difference = lambda *a, **k: None`` used to earn the points.

Two layers
----------
1. **In the kernel: ``grade`` trusts the files on disk, not the kernel's objects.**

   * *Trust root.* The body of :func:`grade` reads no name of this module (a student can
     rebind those; a test checks that its bytecode has no global lookup). It loads this
     file's code afresh from disk and hands over to that private copy.
   * *Fresh reference.* The copy executes the checker's module and everything it imports
     from ``backprop_lib`` (``framework``, ``diagnosis``, ``running``, ``failure``, the
     reference code such as ``layers`` or ``scalar.engine``, and this module) from the files
     on disk, privately, without touching ``sys.modules``. Each file is read every time;
     its compiled code is kept by the SHA-256 of its content (``_CODE_CACHE``), so a file
     is compiled once per kernel and a changed file is compiled again.
   * *Comparison.* Each live module in ``sys.modules`` must equal its fresh twin: the same
     module object that the package's functions see as their globals, the same names, the
     same code objects, defaults and closures for functions and methods, the same class
     contents, and the very class objects the package defines wherever another module uses
     them (so a look-alike ``ExerciseFailed`` is caught), equal data (``_FUNCTIONS`` tables,
     constants). Objects with state but no notion of equality (a random generator, a
     cache) are compared by type only (``i18n`` keeps the language in an environment variable
     and its catalogs in such a cache; see :data:`_RUNTIME_STATE`). The checker passed in must
     be the object bound under the name the test cell uses (``check_xxx``) in its verified module.
   * *Before and after.* The comparison runs before the checker and again after it, so an
     answer that patches the checking code while it runs is caught too.
   * A difference makes the test cell fail (:class:`~.failure.ExerciseFailed`, an
     ``AssertionError``: 0 points) with "the checking code was modified in this notebook:
     ..." naming what was modified, in the student's language: the private copy translates
     with a private copy of ``i18n`` set to the language the kernel chose.
   * *The package's own code as the answer.* After a pass, ``grade`` looks at the names the
     answer's code (and the notebook's functions it calls) refers to: ``backprop_lib``
     functions, and ``backprop_lib`` classes that the checker did not itself hand to the
     answer (a ``Value`` graph in notebook 03 is fine, ``SoftmaxCrossEntropy`` inside a
     softmax-cross-entropy exercise is not). It records them in the seal (below); the
     autograde tool flags those that the instructor's own solution of the exercise does
     not use (``softmax`` where the reference solution calls it too is a given building
     block). The points stay: it is a flag for manual grading, not a verdict.

2. **Outside the kernel: ``tools/assignments.py autograde`` checks ``grade``.** A cell that
   replaces ``grade`` itself (``grading.grade = ...``, a fake ``sys.modules`` entry) never
   runs the code above. So the autograde tool gives the kernel a random key
   (``BACKPROP_GRADING_KEY``); every passing ``grade`` call publishes a *seal* (an HMAC of
   the checker's name, ``hidden``, the number of checks and the package code the answer
   uses) as an output of its own type, :data:`SEAL_MIME` (the HTML feedback omits it). After nbgrader has run, the tool requires, for every
   test cell that scored, one valid seal per ``grade(...)`` call of the instructor's test
   cell, for the checker that cell names. A cell without them scores 0. The tool writes
   every finding to ``course/flags.csv`` and prints a summary.

What this does not stop (said plainly in docs/instructors.md): in-process grading is no
security boundary. A student who reads this code can patch numpy, builtins, the standard
library or the import system, edit the package's files on disk, reach the private copy
through frames or the garbage collector while it runs, put altered code into
``_CODE_CACHE`` or an altered catalog among the translations ``i18n`` has loaded, patch
the checking code while the checker runs and restore it before the checker ends, or read
the key from the environment and forge seals.

Writing code that is verified (every ``backprop_lib`` module a checker imports):
module-level state must not change while notebooks run, except in objects compared by
type only (a generator, an ``lru_cache``) and the names in :data:`_RUNTIME_STATE`; a
``dict`` that grows at run time would make every honest notebook look tampered.
``tests/checks/test_grade_verification.py`` verifies every checker of every notebook in an
unmodified kernel.
"""
from __future__ import annotations

import ast
import builtins
import dis
import hashlib
import hmac
import json
import linecache
import os
import sys
import types
from collections.abc import Callable
from typing import Any

__all__ = ["grade", "TAMPER_MARK", "KEY_VARIABLE", "SEAL_MIME", "seal", "seal_is_valid", "package_name"]

PACKAGE = "backprop_lib"
#: every message about tampering starts with this (the autograde tool looks for it)
TAMPER_MARK = "the checking code was modified in this notebook"
#: the environment variable that carries the autograde run's key into the kernel
KEY_VARIABLE = "BACKPROP_GRADING_KEY"
#: the MIME type of a seal (a display output that nbconvert's HTML omits)
SEAL_MIME = "application/vnd.backprop-grading.seal+json"
#: how many modifications a message names
_SHOWN = 3
#: compiled code of the package's files, by path and content hash (see ``grade``)
_CODE_CACHE: dict = {}
#: module-level names that change while notebooks run, by design, and are not compared: the
#: ``_`` of this module, which the private copy binds to a private copy of ``i18n`` (see
#: ``_grade``). ``i18n`` itself keeps the language in ``$BACKPROP_LANG`` and its catalogs in an
#: ``lru_cache``, so it has nothing to skip.
_RUNTIME_STATE = {f"{PACKAGE}.checks.grading": ("_",)}


def _(message: str) -> str:
    """``message`` in the student's language. This module imports nothing of the package at
    its top (see :func:`grade`): the private copy that grades binds its ``_`` to a private
    copy of ``i18n``; elsewhere (a test, a tool) this is the package's own translation."""
    from ..i18n import _ as translate

    return translate(message)


def N_(message: str) -> str:
    """Mark ``message`` for translation where it is written (as ``i18n.N_``; see ``_``)."""
    return message


def grade(checker: Any, answer: Any, hidden: bool = False) -> None:
    """Run the genuine ``checker`` on the student's ``answer`` (``hidden=True``: the hidden
    cases), after making sure the checking code in this kernel is the code on disk.

    Raises :class:`~.failure.ExerciseFailed` when the answer is wrong, or when the checking
    code was modified ("the checking code was modified in this notebook: ..."). How it
    works: the module docstring.
    """
    # The trust root. A student's cell can rebind every name of this module, so this body
    # reads none of them (no global lookups; builtins come from the `builtins` module): it
    # loads this file's code from disk and hands over to that private copy.
    import builtins
    import hashlib
    import sys
    import types

    # compiled code by file and content: only a speed-up (a cache that a cell replaces or
    # empties costs time, not correctness; a poisoned one is among the limits above)
    cache = sys._getframe(0).f_globals.get("_CODE_CACHE")

    def load_code(path):
        """The code of the source file ``path`` as it is on disk now."""
        with builtins.open(path, "rb") as fh:
            source = fh.read()
        key = (path, hashlib.sha256(source).hexdigest())
        code = cache.get(key) if builtins.type(cache) is builtins.dict else None
        if builtins.type(code) is not types.CodeType:
            code = builtins.compile(source, path, "exec", dont_inherit=True)
            if builtins.type(cache) is builtins.dict:
                cache[key] = code
        return code

    path = sys._getframe(0).f_code.co_filename
    fresh = types.ModuleType("backprop_lib.checks.grading")
    fresh.__file__ = path
    fresh.__package__ = "backprop_lib.checks"
    builtins.exec(load_code(path), fresh.__dict__)
    fresh._grade(checker, answer, hidden, load_code, fresh, sys._getframe(1))


# ------------------------------------------------------------------ the fresh copy


def _grade(checker: Any, answer: Any, hidden: Any, load_code, this: types.ModuleType, caller) -> None:
    """What :func:`grade` hands over to, in a copy of this module fresh from disk."""
    global _
    fresh = _Fresh(load_code, this)
    modified = fresh.load(f"{PACKAGE}.checks.failure").CheckingCodeModified   # the class on disk
    _ = _kernel_translation(fresh)  # this copy's messages, by a private copy of i18n
    checker_name, answer_name = _argument_names(caller)
    label = f"`{checker_name}`" if checker_name else _("the checker")

    module_name, name = _claimed(checker)
    if module_name is None:
        raise modified(_tampered([_("{checker} is not one of the package's checkers: it is {description}").format(
            checker=label, description=_describe(checker))]))
    try:
        fresh.load(module_name)
    except Exception:
        raise modified(_tampered([_("{checker} claims to come from {module}, which is not a module of "
                                  "the package").format(checker=label, module=module_name)])) from None

    problems = _Comparison(fresh).run()
    live_module = sys.modules.get(module_name)
    if not problems and (live_module is None or vars(live_module).get(name) is not checker):
        problems = [_("{checker} is not the checker {module}.{name}").format(
            checker=label, module=module_name, name=name)]
    if not problems and checker_name and checker_name != name:
        problems = [_("{checker} was rebound to the package's {name}").format(checker=label, name=name)]
    if problems:
        raise modified(_tampered(problems))

    what = f"`{answer_name}`" if answer_name else _("your answer")
    try:
        context = checker.run(answer, hidden=bool(hidden))
    except BaseException:
        problems = _Comparison(fresh).run()
        if problems:
            raise modified(_tampered(problems, during=what)) from None
        raise
    problems = _Comparison(fresh).run()
    if problems:
        raise modified(_tampered(problems, during=what))

    key = os.environ.get(KEY_VARIABLE)
    if key:
        references = _package_references(answer, getattr(context, "handed", ()), fresh.package_dir)
        _publish(seal(key, checker=f"{module_name}.{name}", hidden=bool(hidden), passed=int(context.passed),
                      references=references))


def _kernel_translation(fresh: _Fresh) -> Callable[[str], str]:
    """The ``_`` of the private copy of ``i18n``: the language the kernel chose is in
    ``$BACKPROP_LANG`` (``set_language`` keeps it there), so none of the live module's code
    or data is used."""
    return fresh.load(f"{PACKAGE}.i18n")._


def _tampered(problems: list[str], during: str | None = None) -> str:
    shown = "; ".join(problems[:_SHOWN])
    if len(problems) > _SHOWN:
        shown = _("{problems} (and {count} more)").format(problems=shown, count=len(problems) - _SHOWN)
    # raised as CheckingCodeModified, which the autograde tool looks for (in English both begin with TAMPER_MARK)
    if during:
        head = _("the checking code was modified in this notebook while {answer} ran: {problems}.").format(
            answer=during, problems=shown)
    else:
        head = _("the checking code was modified in this notebook: {problems}.").format(problems=shown)
    return head + "\n" + _("Restart the kernel and run the notebook again without changing the checking code.")


def _claimed(checker: Any) -> tuple[str | None, str | None]:
    """The package module and name a checker object says it has, or ``(None, None)``."""
    try:
        attributes = object.__getattribute__(checker, "__dict__")
    except Exception:
        return None, None
    if type(attributes) is not dict:
        return None, None
    module, name = attributes.get("__module__"), attributes.get("__name__")
    if type(module) is not str or not module.startswith(f"{PACKAGE}.checks.") or type(name) is not str:
        return None, None
    return module, name


def _describe(obj: Any) -> str:
    if isinstance(obj, types.FunctionType):
        if _in_package(obj.__code__.co_filename):
            return _("a function defined in the package")
        return _("a function defined in this notebook")
    if obj is None:
        return "None"
    return _("a {kind} object").format(kind=type(obj).__name__)


def _argument_names(frame) -> tuple[str | None, str | None]:
    """The names the calling line passes as checker and answer: ``grade(check_x, x)``."""
    try:
        line = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
        tree = ast.parse(line)
    except Exception:
        return None, None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "grade":
            names = [a.id if isinstance(a, ast.Name) else None for a in node.args[:2]]
            return (names + [None, None])[0], (names + [None, None])[1]
    return None, None


def _in_package(filename: str) -> bool:
    package_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        return os.path.abspath(filename).startswith(package_dir + os.sep)
    except Exception:
        return False


# -------------------------------------------------------------- fresh modules


class _Fresh:
    """Private copies of the package's modules, executed from the files on disk.

    Imports inside them resolve to further private copies for ``backprop_lib`` names and to
    the normal modules for everything else (numpy, the standard library). Nothing is put
    into ``sys.modules``.
    """

    def __init__(self, load_code, this: types.ModuleType):
        self.load_code = load_code
        this.__file__ = os.path.abspath(this.__file__)
        self.package_dir = os.path.dirname(os.path.dirname(this.__file__))
        self.modules: dict[str, types.ModuleType] = {this.__name__: this}
        self.builtins = dict(vars(builtins))
        self.builtins["__import__"] = self._import

    def load(self, name: str) -> types.ModuleType:
        if name in self.modules:
            return self.modules[name]
        parts = name.split(".")
        if parts[0] != PACKAGE or not all(p.isidentifier() for p in parts):
            raise ImportError(f"{name} is not a module of {PACKAGE}")
        base = os.path.join(os.path.dirname(self.package_dir), *parts)
        if os.path.isfile(os.path.join(base, "__init__.py")):
            path, package = os.path.join(base, "__init__.py"), name
        elif os.path.isfile(base + ".py"):
            path, package = base + ".py", name.rpartition(".")[0]
        else:
            raise ImportError(f"no file for {name}")
        module = types.ModuleType(name)
        module.__file__ = path
        module.__package__ = package
        if package == name:
            module.__path__ = [os.path.dirname(path)]
        module.__dict__["__builtins__"] = self.builtins
        self.modules[name] = module
        try:
            exec(self.load_code(path), module.__dict__)
        except BaseException:
            del self.modules[name]
            raise
        parent = self.modules.get(name.rpartition(".")[0])
        if parent is not None:
            setattr(parent, parts[-1], module)
        return module

    def _import(self, name, globals=None, locals=None, fromlist=(), level=0):
        if level:
            package = (globals or {}).get("__package__") or ""
            bits = package.split(".")
            base = ".".join(bits[:len(bits) - level + 1])
            absolute = f"{base}.{name}" if name else base
        else:
            absolute = name
        if absolute != PACKAGE and not absolute.startswith(PACKAGE + "."):
            return builtins.__import__(name, globals, locals, fromlist, level)
        if fromlist:
            module = self.load(absolute)
            for item in fromlist:
                if item != "*" and hasattr(module, "__path__") and item not in vars(module):
                    try:
                        self.load(f"{absolute}.{item}")
                    except ImportError:
                        pass
            return module
        bits = absolute.split(".")
        for k in range(1, len(bits) + 1):
            self.load(".".join(bits[:k]))
        return self.modules[bits[0]]


# ---------------------------------------------------------------- comparison

# names every module and class has that say nothing about behaviour (some appear lazily)
_MODULE_SKIP = ("__builtins__", "__cached__", "__loader__", "__spec__", "__file__", "__path__", "__package__",
                "__name__", "__doc__", "__annotations__", "__annotate__", "__warningregistry__",
                "_CODE_CACHE")
_CLASS_SKIP = ("__dict__", "__weakref__", "__doc__", "__module__", "__annotations__", "__annotate__",
               "__firstlineno__", "__static_attributes__", "__slotnames__")
_SCALARS = (type(None), bool, int, float, complex, str, bytes, type(Ellipsis), type(NotImplemented), range, slice)


class _Comparison:
    """Every fresh module against the live module of the same name in ``sys.modules``."""

    def __init__(self, fresh: _Fresh):
        self.fresh = fresh
        self.problems: list[str] = []
        self.seen: set[tuple[int, int]] = set()
        self._keep: list = []  # keeps compared pairs alive, so ids stay unique
        # the names of a function's parts, translated once (a comparison makes thousands of them)
        self.its_defaults = _("{where} (its defaults)")
        self.its_keyword_defaults = _("{where} (its keyword defaults)")
        self.its_closure = _("{where} (closure {number})")
        self.its_attributes = _("{where} (its attributes)")

    def run(self) -> list[str]:
        for name, fresh_module in list(self.fresh.modules.items()):
            live = sys.modules.get(name)
            if live is None:
                self.differ(f"sys.modules[{name!r}]", N_("{where} was removed"))
            elif (type(live) is not types.ModuleType or not isinstance(vars(live).get("__file__"), str)
                  or os.path.abspath(live.__file__) != fresh_module.__file__):
                self.differ(f"sys.modules[{name!r}]")
            else:
                self.namespace(name, vars(live), vars(fresh_module), _MODULE_SKIP + _RUNTIME_STATE.get(name, ()),
                               name)
        return self.problems

    # -- helpers ----------------------------------------------------------------
    def live_twin(self, obj: Any) -> Any:
        """The live object a fresh class or module stands for (``obj`` itself when it is not fresh)."""
        if isinstance(obj, types.ModuleType):
            if self.fresh.modules.get(obj.__name__) is obj:
                return sys.modules.get(obj.__name__)
            return obj
        module = self.fresh.modules.get(getattr(obj, "__module__", None))
        if module is None:
            return obj
        fresh_target, live_target = module, sys.modules.get(module.__name__)
        for part in getattr(obj, "__qualname__", "").split("."):
            fresh_target = vars(fresh_target).get(part) if hasattr(fresh_target, "__dict__") else None
            live_target = vars(live_target).get(part) if hasattr(live_target, "__dict__") else None
        return live_target if fresh_target is obj else _NO_TWIN

    def live_globals(self, fresh_globals: dict) -> dict | None:
        name = fresh_globals.get("__name__")
        module = self.fresh.modules.get(name)
        if module is not None and vars(module) is fresh_globals:
            live = sys.modules.get(name)
            return vars(live) if isinstance(live, types.ModuleType) else None
        return fresh_globals

    def differ(self, where: str, how: str = N_("{where} was replaced")) -> None:
        """Note a difference at ``where``; ``how`` is a message marked with ``N_``."""
        self.problems.append(_(how).format(where=where))

    # -- namespaces -------------------------------------------------------------
    def namespace(self, where: str, live: dict, fresh: dict, skip: tuple, module: str,
                  owner: str | None = None) -> None:
        """The names of a module (``owner=None``) or of a class (``owner``: its qualified name)."""
        for key, value in fresh.items():
            if key in skip:
                continue
            if key not in live:
                self.differ(f"{where}.{key}", N_("{where} was deleted"))
            elif (isinstance(value, type) and value.__module__ == module
                  and value.__qualname__ == (f"{owner}.{key}" if owner else key)):
                self.define_class(f"{where}.{key}", live[key], value)   # the place that defines it
            else:
                self.same(f"{where}.{key}", live[key], value)
        for key in live:
            if key in fresh or key in skip:
                continue
            if owner is None and isinstance(live[key], types.ModuleType) and live[key] is sys.modules.get(f"{module}.{key}"):
                continue  # a submodule, imported later
            self.differ(f"{where}.{key}", N_("{where} was added"))

    def define_class(self, where: str, live: Any, fresh: type) -> None:
        """A class where it is defined: compare its contents (elsewhere, it must be this very class)."""
        if not isinstance(live, type):
            return self.differ(where)
        if not self.enter(live, fresh):
            return
        if (type(live) is not self.live_twin(type(fresh)) or live.__module__ != fresh.__module__
                or live.__qualname__ != fresh.__qualname__ or len(live.__bases__) != len(fresh.__bases__)):
            return self.differ(where)
        for k, (live_base, fresh_base) in enumerate(zip(live.__bases__, fresh.__bases__)):
            if live_base is not self.live_twin(fresh_base):
                return self.differ(_("{where} (its base class {number})").format(where=where, number=k + 1))
        self.namespace(where, vars(live), dict(vars(fresh)), _CLASS_SKIP, fresh.__module__, owner=fresh.__qualname__)

    def enter(self, live: Any, fresh: Any) -> bool:
        key = (id(live), id(fresh))
        if key in self.seen:
            return False
        self.seen.add(key)
        self._keep.append((live, fresh))
        return True

    # -- values -----------------------------------------------------------------
    def same(self, where: str, live: Any, fresh: Any) -> None:
        if live is fresh:
            return
        if isinstance(fresh, _SCALARS):
            if type(live) is not type(fresh) or not (live == fresh or (live != live and fresh != fresh)):
                self.differ(where)
            return
        if isinstance(fresh, (types.ModuleType, type)):
            twin = self.live_twin(fresh)
            if twin is _NO_TWIN:    # a class of the package without a module-level name
                return self.define_class(where, live, fresh)
            if live is not twin:    # the package's module or class, or else the very same object
                self.differ(where)
            return
        if not self.enter(live, fresh):
            return
        if type(fresh) is types.FunctionType:
            return self.function(where, live, fresh)
        if type(live) is not self.live_twin(type(fresh)):
            return self.differ(where)
        if isinstance(fresh, (staticmethod, classmethod)):
            return self.same(where, live.__func__, fresh.__func__)
        if isinstance(fresh, property):
            for part in ("fget", "fset", "fdel"):
                self.same(f"{where}.{part}", getattr(live, part), getattr(fresh, part))
            return
        if isinstance(fresh, types.MethodType):
            self.same(where, live.__func__, fresh.__func__)
            return self.same(f"{where}.__self__", live.__self__, fresh.__self__)
        if isinstance(fresh, (tuple, list)):
            if len(live) != len(fresh):
                return self.differ(where, N_("{where} was changed"))
            for k, (a, b) in enumerate(zip(live, fresh)):
                self.same(f"{where}[{k}]", a, b)
            return
        if isinstance(fresh, dict):
            if list(live.keys()) != list(fresh.keys()):
                return self.differ(where, N_("{where} was changed"))
            for k, value in fresh.items():
                self.same(f"{where}[{k!r}]", live[k], value)
            return
        if isinstance(fresh, (set, frozenset)):
            if live != fresh:
                self.differ(where, N_("{where} was changed"))
            return
        np = sys.modules.get("numpy")
        if np is not None and isinstance(fresh, np.ndarray):
            if live.dtype != fresh.dtype or live.shape != fresh.shape or live.tobytes() != fresh.tobytes():
                self.differ(where, N_("{where} was changed"))
            return
        wrapped = getattr(fresh, "__wrapped__", None)
        if wrapped is not None:                       # functools.lru_cache and other wrappers
            self.same(f"{where}.__wrapped__", getattr(live, "__wrapped__", None), wrapped)
            if hasattr(fresh, "cache_parameters") and live.cache_parameters() != fresh.cache_parameters():
                self.differ(where)
            return
        if self.fresh.modules.get(type(fresh).__module__) is not None:   # an instance of a package class
            return self.instance(where, live, fresh)
        if type(fresh).__eq__ is not object.__eq__:
            try:
                equal = bool(live == fresh)
            except Exception:
                equal = False
            if not equal:
                self.differ(where, N_("{where} was changed"))
        # else: an object with state and no equality (a random generator): its type is all we compare

    def function(self, where: str, live: Any, fresh: types.FunctionType) -> None:
        if type(live) is not types.FunctionType or live.__code__ != fresh.__code__:
            return self.differ(where)
        if live.__globals__ is not self.live_globals(fresh.__globals__):
            return self.differ(where, N_("{where} runs with other globals"))
        self.same(self.its_defaults.format(where=where), live.__defaults__, fresh.__defaults__)
        self.same(self.its_keyword_defaults.format(where=where), live.__kwdefaults__, fresh.__kwdefaults__)
        live_cells, fresh_cells = live.__closure__ or (), fresh.__closure__ or ()
        if len(live_cells) != len(fresh_cells):
            return self.differ(where)
        for k, (a, b) in enumerate(zip(live_cells, fresh_cells)):
            try:
                a_value, b_value = a.cell_contents, b.cell_contents
            except ValueError:                         # an empty cell
                continue
            self.same(self.its_closure.format(where=where, number=k), a_value, b_value)
        self.same(self.its_attributes.format(where=where), dict(vars(live)), dict(vars(fresh)))

    def instance(self, where: str, live: Any, fresh: Any) -> None:
        if hasattr(fresh, "__dict__"):
            self.namespace(where, dict(vars(live)), dict(vars(fresh)), (), type(fresh).__module__, owner="")
        for klass in type(fresh).__mro__:
            for slot in vars(klass).get("__slots__", ()):
                if isinstance(slot, str) and slot not in ("__dict__", "__weakref__"):
                    self.same(f"{where}.{slot}", getattr(live, slot, _NO_TWIN), getattr(fresh, slot, _NO_TWIN))


_NO_TWIN = object()


# ---------------------------------------------------- the package's code as an answer


def package_name(obj: Any) -> str:
    """How the package-code check names a function, class or object (the autograde tool
    names the instructor's solution's uses the same way)."""
    if isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType)):
        return f"{obj.__module__}.{getattr(obj, '__qualname__', obj.__name__)}"
    return f"{package_name(type(obj))} (an object of it)"


def _package_references(answer: Any, handed: Any, package_dir: str) -> list[str]:
    """What of ``backprop_lib`` the answer's code (or a function of the notebook it calls by
    name) refers to: functions, and classes or objects of classes the checker did not hand
    to the answer. Names as :func:`package_name` gives them, sorted."""
    handed = tuple(t for t in handed if isinstance(t, type))
    library = tuple(_library_dirs())
    found: dict[str, None] = {}
    seen: set[int] = set()

    def ours(obj: Any) -> bool:
        code = getattr(obj, "__code__", None)
        if isinstance(code, types.CodeType):
            return os.path.abspath(code.co_filename).startswith(package_dir + os.sep)
        module = getattr(obj, "__module__", None)
        return isinstance(module, str) and module.split(".")[0] == PACKAGE

    def visit(obj: Any, depth: int) -> None:
        if depth > 6 or id(obj) in seen or isinstance(obj, types.ModuleType):
            return
        seen.add(id(obj))
        if isinstance(obj, (types.MethodType, staticmethod, classmethod)):
            return visit(obj.__func__, depth)
        if isinstance(obj, (tuple, list)):                   # several answers at once
            for item in obj[:20]:
                visit(item, depth + 1)
            return
        if isinstance(obj, type):
            if ours(obj):
                if not any(issubclass(h, obj) for h in handed):
                    found[package_name(obj)] = None
                return
            for member in list(vars(obj).values()):     # a class of the notebook: its methods
                visit(member, depth + 1)
            return
        if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)):
            if ours(obj):
                found[package_name(obj)] = None
            elif isinstance(obj, types.FunctionType) and not obj.__code__.co_filename.startswith(library):
                scan(obj.__code__, obj.__globals__, depth)          # the notebook's own function
                for cell in obj.__closure__ or ():
                    try:
                        visit(cell.cell_contents, depth + 1)
                    except ValueError:
                        pass
                for default in (obj.__defaults__ or ()) + tuple((obj.__kwdefaults__ or {}).values()):
                    visit(default, depth + 1)
            return
        kind = type(obj)
        if ours(kind) and not any(issubclass(h, kind) for h in handed):
            found[package_name(obj)] = None

    def scan(code: types.CodeType, namespace: dict, depth: int) -> None:
        """The globals a code reads, the modules it imports, the attributes it takes of them."""
        names, imports, attributes = set(), set(), set()
        for instruction in dis.get_instructions(code):
            if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME", "LOAD_FROM_DICT_OR_GLOBALS"):
                names.add(instruction.argval)
            elif instruction.opname == "IMPORT_NAME":
                imports.add(instruction.argval)
            elif instruction.opname in ("LOAD_ATTR", "LOAD_METHOD", "IMPORT_FROM"):
                attributes.add(instruction.argval)
        for name in imports:
            if name.split(".")[0] == PACKAGE:                       # `import backprop_lib.x` in the code
                follow(sys.modules.get(name), attributes, depth)
        for name in names:
            value = namespace.get(name, _NO_TWIN)
            if isinstance(value, types.ModuleType):
                follow(value, attributes, depth)
            elif value is not _NO_TWIN:
                visit(value, depth + 1)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                scan(const, namespace, depth)
            elif isinstance(const, str) and const.split(".")[0] == PACKAGE:
                found[f"{const} (named in a string)"] = None

    def follow(module: Any, names: set[str], depth: int) -> None:
        """The attributes a code names of a module it uses (``bl.losses.logsumexp``)."""
        if not isinstance(module, types.ModuleType) or depth > 6 or id(module) in seen:
            return
        seen.add(id(module))
        for name in names:
            value = vars(module).get(name, _NO_TWIN)
            if isinstance(value, types.ModuleType):
                follow(value, names, depth + 1)
            elif value is not _NO_TWIN and ours(value):
                visit(value, depth + 1)

    try:
        visit(answer, 0)
    except Exception:   # an answer built to break this scan: a flag, never a failure
        found["(an answer that could not be inspected)"] = None
    return sorted(found)


def _library_dirs() -> list[str]:
    """Folders of code that is not the student's: the standard library and installed packages."""
    import sysconfig

    paths = sysconfig.get_paths()
    return [os.path.abspath(paths[key]) + os.sep for key in ("stdlib", "platstdlib", "purelib", "platlib")
            if paths.get(key)]


# ---------------------------------------------------------------------- seals


def seal(key: str, **fields: Any) -> dict:
    """``fields`` with an HMAC-SHA256 of them under ``key`` (the autograde run's key)."""
    body = json.dumps(fields, sort_keys=True)
    return {**fields, "mac": hmac.new(key.encode(), body.encode(), hashlib.sha256).hexdigest()}


def seal_is_valid(key: str, payload: Any) -> bool:
    """Whether ``payload`` is a seal made with ``key``."""
    if not isinstance(payload, dict) or not isinstance(payload.get("mac"), str):
        return False
    fields = {k: v for k, v in payload.items() if k != "mac"}
    return hmac.compare_digest(seal(key, **fields)["mac"], payload["mac"])


def _publish(payload: dict) -> None:
    """Show ``payload`` as an output of type :data:`SEAL_MIME` (nothing outside IPython)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    if shell is not None:
        shell.display_pub.publish(data={SEAL_MIME: payload}, metadata={})
