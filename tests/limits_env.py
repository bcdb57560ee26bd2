"""No limit set from the developer's shell: every test starts from the defaults of
:class:`tlcore.limits.Limits` (the root conftest's fixture)."""

from __future__ import annotations

from dataclasses import fields

import pytest

from tlcore.limits import Limits, variables


def default_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Clear every variable that sets a limit, its former name too (:func:`tlcore.limits.variables`:
    ``TLSTUDIO_MAX_DIAGNOSIS_CACHE_BYTES`` still caps the caches where the new name is not set)."""
    for field in fields(Limits):
        for var in variables(field.name):
            monkeypatch.delenv(var, raising=False)
