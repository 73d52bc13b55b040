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
from engine.bench import bench_engine, build_data

ENGINE_DIR = os.path.dirname(engine.__file__)
MODULES = sorted(name for name in os.listdir(ENGINE_DIR) if name.endswith(".py"))
STDLIB = sysconfig.get_paths()["stdlib"]


def absolute_imports(filename):
    with open(os.path.join(ENGINE_DIR, filename)) as source:
        tree = ast.parse(source.read(), filename)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and not node.level:
            yield node.module


@pytest.mark.parametrize("filename", ["__init__.py", "allocator.py", "bench.py",
                                      "matching.py", "rotation.py"])
def test_imports_only_the_standard_library(filename):
    for name in absolute_imports(filename):
        assert name.split(".")[0] != "odoo", name
        top = name.split(".")[0]
        if top in sys.builtin_module_names:  # e.g. sys, whose spec has no origin
            continue
        origin = importlib.util.find_spec(top).origin
        assert origin in ("built-in", "frozen") or origin.startswith(STDLIB), name


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
