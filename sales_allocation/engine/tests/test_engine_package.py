# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The engine stays a plain package: standard library only, relative imports."""
import ast
import importlib.util
import os
import sys
import sysconfig

import pytest

import engine

# The synthetic benchmark data lives with the benchmark (bench/synthetic.py, outside the
# addon); with the repository root on the path it builds objects of this ``engine``.
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
if REPO_ROOT not in sys.path:
    sys.path.append(REPO_ROOT)
from bench.synthetic import bench_engine, build_data  # noqa: E402

ENGINE_DIR = os.path.dirname(engine.__file__)
# The standard library of the interpreter the venv was made from; a site-packages folder
# inside it (or the venv's own lib folder) holds third-party packages, not the stdlib.
STDLIB_ROOTS = sorted({os.path.realpath(path) for path in sysconfig.get_paths(vars={
    "base": sys.base_prefix, "installed_base": sys.base_prefix,
    "platbase": sys.base_exec_prefix, "installed_platbase": sys.base_exec_prefix,
}).values() if path.endswith("python%d.%d" % sys.version_info[:2])})
THIRD_PARTY_FOLDERS = {"site-packages", "dist-packages"}


def package_modules(root=ENGINE_DIR):
    """Every module of the engine package, as paths relative to it: the ``.py`` files
    of its folder and of its sub-packages (``tests/`` has no ``__init__.py``: it is
    not part of the package)."""
    modules = []
    for folder, subfolders, files in os.walk(root):
        if not os.path.isfile(os.path.join(folder, "__init__.py")):
            subfolders[:] = []
            continue
        subfolders[:] = sorted(name for name in subfolders if name != "__pycache__")
        modules.extend(os.path.relpath(os.path.join(folder, name), root)
                       for name in sorted(files) if name.endswith(".py"))
    return modules


MODULES = package_modules()


def is_standard_library(name):
    top = name.split(".")[0]
    if top in sys.builtin_module_names:  # e.g. sys, whose spec has no file
        return True
    spec = importlib.util.find_spec(top)
    if spec is None or spec.origin is None:  # not installed, or a namespace package
        return False
    if spec.origin in ("built-in", "frozen"):
        return True
    path = os.path.realpath(spec.origin)
    return (not THIRD_PARTY_FOLDERS.intersection(path.split(os.sep))
            and any(path.startswith(root + os.sep) for root in STDLIB_ROOTS))


def _imported_by_call(node):
    """The constant module name of ``__import__("x")`` / ``importlib.import_module("x")``."""
    function = node.func
    called = getattr(function, "id", None) or getattr(function, "attr", None)
    if called not in ("__import__", "import_module") or not node.args:
        return None
    name = getattr(node.args[0], "value", getattr(node.args[0], "s", None))
    return name if isinstance(name, str) else None


def foreign_imports(source, module_path):
    """What ``source`` (the module at ``module_path`` in the engine package) imports
    beyond relative imports inside the package and the standard library, one
    message per offence."""
    # A relative import may climb to the engine package, not above it (that is the
    # addon, which imports odoo).
    top_level = module_path.count(os.sep) + 1
    problems = []
    for node in ast.walk(ast.parse(source, module_path)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level:
            if node.level > top_level:
                problems.append("line %d: from %s%s import ... leaves the engine package" % (
                    node.lineno, "." * node.level, node.module or ""))
            continue
        elif isinstance(node, ast.ImportFrom):
            names = [node.module]
        elif isinstance(node, ast.Call) and _imported_by_call(node):
            names = [_imported_by_call(node)]
        else:
            continue
        problems.extend(
            "line %d: %s is not in the standard library (import it in the adapter and "
            "pass the engine plain values)" % (node.lineno, name)
            for name in names if not is_standard_library(name))
    return problems


def test_every_module_of_the_package_is_checked():
    assert {"__init__.py", "allocator.py", "matching.py", "matrix.py", "reclaim.py",
            "rotation.py", "stats.py"} <= set(MODULES)
    assert not [path for path in MODULES if path.startswith("tests" + os.sep)]


@pytest.mark.parametrize("module_path", MODULES)
def test_imports_only_the_standard_library(module_path):
    with open(os.path.join(ENGINE_DIR, module_path), encoding="utf-8") as source:
        problems = foreign_imports(source.read(), module_path)
    assert not problems, "engine/%s: %s" % (module_path, "; ".join(problems))


@pytest.mark.parametrize("line", [
    "import odoo", "from odoo import api", "import odoo.tools", "import pytz",
    "from pytz import utc", "import psycopg2", "import datetime, pytz",
    "import engine", "from engine import Lead", "from .. import models",
    "from ..models import crm_lead", "import not_installed_anywhere",
    "__import__('pytz')", "importlib.import_module('odoo')",
])
def test_foreign_imports_are_caught(line):
    assert foreign_imports(line + "\n", "reclaim.py")


@pytest.mark.parametrize("line", [
    "import datetime", "from collections import namedtuple", "import os.path",
    "import itertools, math, sys", "from . import rotation", "from .matching import Lead",
    "import unicodedata", "import _datetime", "__import__('json')",
])
def test_standard_and_relative_imports_pass(line):
    assert foreign_imports(line + "\n", "reclaim.py") == []


def test_sub_packages_may_climb_to_the_engine_only():
    assert foreign_imports("from ..matching import Lead\n", os.path.join("sub", "x.py")) == []
    assert foreign_imports("from ...models import crm_lead\n", os.path.join("sub", "x.py"))


def test_public_api():
    assert set(engine.__all__) >= {"Decision", "Lead", "Member", "Queue", "Rule",
                                   "RuleIndex", "allocate", "pick"}
    assert engine.Decision._fields == (
        "lead_id", "user_id", "rule_id", "queue_id", "pool_id", "team_id", "reasons")


def test_build_data_is_deterministic_and_shaped():
    first, second = build_data(300, 12, 40, seed=3), build_data(300, 12, 40, seed=3)
    assert len(first["leads"]) == 300
    assert len(first["rules"]) == 12
    assert len(first["queues"]) == 2
    assert {q.strategy for q in first["queues"].values()} <= {
        "sequential", "weighted", "least_loaded"}
    assert [vars_of(lead) for lead in first["leads"]] == [
        vars_of(lead) for lead in second["leads"]]
    assert first["rules"][-1].sequence > max(r.sequence for r in first["rules"][:-1])


def vars_of(obj):
    return tuple(getattr(obj, name) for name in type(obj).__slots__)


def test_bench_engine_reports_its_measure():
    result = bench_engine(n_leads=2000, n_rules=20, n_reps=40)
    assert result["decisions"] == 2000
    assert result["seconds"] > 0
    assert result["per_second"] == pytest.approx(2000 / result["seconds"])
