"""A package's public names resolved on first use (PEP 562 module ``__getattr__``), so that importing
one light module of a package (``tlcore.metrics.proportion``) does not import its torch code."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(package: str, homes: dict[str, tuple[str, ...]]) -> Callable[[str], Any]:
    """The ``__getattr__`` of ``package``: ``homes`` maps each of its modules to the names it exports;
    a name is imported from its module the first time it is asked for."""
    where = {name: module for module, names in homes.items() for name in names}

    def __getattr__(name: str) -> Any:  # noqa: N807 - the hook's name (PEP 562)
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{where[name]}"), name)

    return __getattr__
