"""The data layer: every dataset is a :class:`Domain`, named by a spec string.

- built-in offline domains (:mod:`.builtin`) and torchvision sets (:mod:`.torchvision_sets`);
- synthetic shifts (:mod:`.shifts`, their declarations in :mod:`.shift_table`), one spec parser
  (:mod:`.spec_text`, no torch) and loader (:mod:`.spec`), the catalog (:mod:`.catalog`);
- custom uploads (:mod:`.uploads`, reading via :mod:`.archive`, :mod:`.images`, :mod:`.npz`,
  :mod:`.tables`, :mod:`.values`);
- pairing (:mod:`.harmonise`) and splits / paired batches (:mod:`.splits`).

The names below load on first use (PEP 562 ``__getattr__``), so importing a submodule that needs no
tensor (``tlcore.data.catalog``: ``data list``) does not load torch through this package. The
function :func:`harmonise` shares its module's name: the package keeps the function under it, as
the eager ``from tlcore.data.harmonise import harmonise`` did.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tlcore.data.catalog import list_domains, list_uploads, upload_table
    from tlcore.data.domain import Domain
    from tlcore.data.harmonise import PairReport, harmonise
    from tlcore.data.shift_table import list_shifts
    from tlcore.data.shifts import apply_shifts, register_shift
    from tlcore.data.spec import load_domain
    from tlcore.data.spec_text import DomainSpec, parse_spec
    from tlcore.data.splits import PairedBatchSampler, train_test_split
    from tlcore.data.uploads import read_path, save_upload

_HOMES = {
    "list_domains": "catalog",
    "Domain": "domain",
    "PairReport": "harmonise",
    "harmonise": "harmonise",
    "apply_shifts": "shifts",
    "list_shifts": "shift_table",
    "register_shift": "shifts",
    "DomainSpec": "spec_text",
    "load_domain": "spec",
    "parse_spec": "spec_text",
    "PairedBatchSampler": "splits",
    "train_test_split": "splits",
    "list_uploads": "catalog",
    "upload_table": "catalog",
    "read_path": "uploads",
    "save_upload": "uploads",
}
__all__ = [
    "Domain",
    "DomainSpec",
    "PairReport",
    "PairedBatchSampler",
    "apply_shifts",
    "harmonise",
    "list_domains",
    "list_shifts",
    "list_uploads",
    "load_domain",
    "parse_spec",
    "read_path",
    "register_shift",
    "save_upload",
    "train_test_split",
    "upload_table",
]


def __getattr__(name: str) -> Any:
    """``from tlcore.data import X``: ``X`` from its module, imported now."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)


class _Package(types.ModuleType):
    """This package: importing the submodule ``harmonise`` binds its function, not the module."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "harmonise" and isinstance(value, types.ModuleType):
            value = value.harmonise
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
