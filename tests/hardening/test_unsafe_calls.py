"""No code path may run code that came in a file: an AST scan of tlcore and the app.

Rules, on calls and references resolved through the module's imports (``import numpy as np``,
``from torch import load``): ``torch.load`` only with ``weights_only=True``, ``numpy.load`` only with
``allow_pickle=False``, ``yaml.load`` only with a safe loader, no ``subprocess`` call with
``shell=True``, no ``eval``/``exec``/``compile``/``__import__``, no pickle-family loaders (pickle,
dill, joblib, shelve, marshal, ``pandas.read_pickle``, ``torch.jit.load``, ``torch.hub.load``), and no
``importlib.import_module`` of a computed name outside :data:`ALLOWED`. A loader passed around as a
value (``f = torch.load``) is refused too: its arguments could not be checked.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("tlcore", "app.py", "app_support", "app_pages")

FORBIDDEN = {
    "eval", "exec", "compile", "__import__",
    "pickle.load", "pickle.loads", "pickle.Unpickler", "_pickle.load", "_pickle.loads",
    "dill.load", "dill.loads", "joblib.load", "shelve.open", "marshal.load", "marshal.loads",
    "pandas.read_pickle", "torch.jit.load", "torch.hub.load", "yaml.unsafe_load", "yaml.full_load",
    "os.system", "os.popen", "runpy.run_path", "runpy.run_module",
}  # fmt: skip
REQUIRED = {  # call -> (keyword, the only accepted literal value)
    "torch.load": ("weights_only", True),
    "torch.serialization.load": ("weights_only", True),
    "numpy.load": ("allow_pickle", False),
    "numpy.lib.format.read_array": ("allow_pickle", False),
}
SAFE_LOADERS = {"yaml.SafeLoader", "yaml.CSafeLoader"}
SUBPROCESS = {"subprocess.run", "subprocess.Popen", "subprocess.call", "subprocess.check_call"}
SUBPROCESS |= {"subprocess.check_output"}
ALLOWED = {  # (file, call) -> why a computed import or a forbidden loader is safe there
    (
        "tlcore/runs/jobs.py",
        "importlib.import_module",
    ): "the worker MODULE:FUNCTION is set by launch(), in code",
    ("tlcore/adapt/__init__.py", "importlib.import_module"): "a fixed table of tlcore modules",
    ("tlcore/data/__init__.py", "importlib.import_module"): "a fixed table of tlcore.data's modules (_HOMES)",
    ("tlcore/export.py", "torch.jit.load"): "loads, from memory, the bytes it has just serialised",
    ("tlcore/diagnosis_cache.py", "pickle.Unpickler"): "restricted: builds tlcore dataclasses, enums and "
    "numpy arrays only (find_class), tested in tests/diagnosis/test_diagnosis_cache.py",
}


class Scanner(ast.NodeVisitor):
    """Collects ``line: problem`` strings for one module."""

    def __init__(self, label: str) -> None:
        self.label, self.aliases, self.problems = label, {}, []

    def report(self, node: ast.AST, message: str) -> None:
        self.problems.append(f"{self.label}:{getattr(node, 'lineno', 0)}: {message}")

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.aliases[alias.asname] = alias.name
            else:
                root = alias.name.split(".")[0]
                self.aliases[root] = root

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and not node.level:
            for alias in node.names:
                self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def dotted(self, node: ast.AST) -> str | None:
        """``numpy.load`` for ``np.load`` after ``import numpy as np``; None for computed targets."""
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self.dotted(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    def visit_Call(self, node: ast.Call) -> None:
        name = self.dotted(node.func)
        problem = name and self.problem(name, node)
        if problem:
            self.report(node, problem)
        if isinstance(node.func, ast.Attribute):
            self.visit(node.func.value)
        for child in [*node.args, *node.keywords]:
            self.visit(child)

    def problem(self, name: str, node: ast.Call) -> str | None:
        """What is wrong with calling ``name`` like ``node`` does, if anything."""
        keywords = {k.arg: k.value for k in node.keywords if k.arg}

        def literal(key: str) -> object:
            value = keywords.get(key)
            return value.value if isinstance(value, ast.Constant) else None

        if name in FORBIDDEN and (self.label, name) not in ALLOWED:
            return f"{name}() runs or unpickles code"
        if name in REQUIRED and literal(REQUIRED[name][0]) is not REQUIRED[name][1]:
            return f"{name}() without {REQUIRED[name][0]}={REQUIRED[name][1]}"
        loader = keywords.get("Loader")
        if name == "yaml.load" and (loader is None or self.dotted(loader) not in SAFE_LOADERS):
            return "yaml.load() without a safe Loader"
        if name in SUBPROCESS and literal("shell"):
            return f"{name}(shell=True)"
        computed = not all(isinstance(a, ast.Constant) for a in node.args)
        if name == "importlib.import_module" and computed and (self.label, name) not in ALLOWED:
            return "importlib.import_module() of a computed name"
        return None

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self._reference(node)
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        self._reference(node)

    def _reference(self, node: ast.Attribute | ast.Name) -> None:
        name = self.dotted(node)
        if (name in FORBIDDEN or name in REQUIRED) and (self.label, name) not in ALLOWED:
            self.report(node, f"{name} used as a value: its arguments cannot be checked")


def scan(source: str, label: str = "<snippet>") -> list[str]:
    scanner = Scanner(label)
    scanner.visit(ast.parse(source))
    return scanner.problems


def source_files() -> list[Path]:
    found = []
    for entry in SOURCES:
        path = REPO / entry
        found += sorted(path.rglob("*.py")) if path.is_dir() else [path] * path.is_file()
    return found


def test_the_code_base_never_loads_code_from_files() -> None:
    files = source_files()
    assert len(files) > 20 and REPO / "tlcore" / "data" / "tables.py" in files
    problems = [p for f in files for p in scan(f.read_text(), str(f.relative_to(REPO)))]
    assert problems == []


@pytest.mark.parametrize(
    ("snippet", "problem"),
    [
        ("import torch\ntorch.load(p)", "torch.load() without weights_only=True"),
        ("import torch\ntorch.load(p, weights_only=False)", "without weights_only=True"),
        ("from torch import load as l\nl(p, weights_only=flag)", "torch.load() without weights_only=True"),
        ("import numpy as np\nnp.load(p)", "numpy.load() without allow_pickle=False"),
        ("import numpy as np\nnp.load(p, allow_pickle=True)", "numpy.load() without allow_pickle=False"),
        ("import pickle as pk\npk.loads(b)", "pickle.loads() runs or unpickles code"),
        ("import pandas as pd\npd.read_pickle(p)", "pandas.read_pickle()"),
        ("import yaml\nyaml.load(s)", "yaml.load() without a safe Loader"),
        ("import yaml\nyaml.load(s, Loader=yaml.Loader)", "yaml.load() without a safe Loader"),
        ("eval(text)", "eval() runs"),
        ("exec(text)", "exec() runs"),
        ("import subprocess\nsubprocess.run(c, shell=True)", "subprocess.run(shell=True)"),
        ("import importlib\nimportlib.import_module(name)", "import_module() of a computed name"),
        ("import torch\nloader = torch.load", "torch.load used as a value"),
        ("import torch\nf(torch.jit.load(p))", "torch.jit.load() runs"),
    ],
)
def test_the_scanner_catches(snippet: str, problem: str) -> None:
    problems = scan(snippet)
    assert len(problems) == 1 and problem in problems[0], problems


def test_the_scanner_accepts_safe_calls() -> None:
    safe = """
import numpy as np
import torch
import yaml
import pickle
torch.load(p, map_location="cpu", weights_only=True)
np.load(p, allow_pickle=False)
yaml.load(s, Loader=yaml.SafeLoader)
yaml.safe_load(s)
model.eval()
re.compile("x")
try:
    pass
except pickle.UnpicklingError:
    pass
"""
    assert scan(safe) == []


def test_an_allowed_loader_is_allowed_in_its_file_only() -> None:
    snippet = "import torch\ntorch.jit.load(buffer)"
    assert scan(snippet, "tlcore/export.py") == []
    assert "torch.jit.load() runs" in scan(snippet, "tlcore/models.py")[0]
