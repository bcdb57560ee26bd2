"""``from tlcore.data import X`` gives what ``X``'s own module defines, loaded on first use: importing
the package, or a submodule that needs no tensor, does not load torch."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import tlcore.data

ROOT = Path(__file__).resolve().parents[2]


def test_every_exported_name_is_its_modules_own() -> None:
    for name in tlcore.data.__all__:
        module = importlib.import_module(f"tlcore.data.{tlcore.data._HOMES[name]}")
        assert getattr(tlcore.data, name) is getattr(module, name), name
    assert sorted(tlcore.data.__all__) == sorted(tlcore.data._HOMES)


def test_the_package_loads_torch_only_for_a_name_that_needs_it() -> None:
    code = """import sys
import tlcore.data, tlcore.data.catalog, tlcore.data.shift_table
from tlcore.data import list_domains, list_shifts, list_uploads
print("torch" in sys.modules, [s["name"] for s in list_shifts()][:2])
import tlcore.data.harmonise  # the submodule of the same name as its function
from tlcore.data import harmonise, load_domain
print("torch" in sys.modules, harmonise.__module__, harmonise is tlcore.data.harmonise, load_domain.__name__)
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "False ['rotate', 'scale']",
        "True tlcore.data.harmonise True load_domain",
    ]
