"""Fixtures of the method tests."""

import pytest

import tlcore.method_table as table_module
from tlcore.methods import registry as registry_module


@pytest.fixture
def scratch_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Copies of the method table and the registry that toy registrations may change."""
    monkeypatch.setattr(table_module, "_METHODS", dict(table_module._METHODS))
    monkeypatch.setattr(registry_module, "_REGISTRY", dict(registry_module._REGISTRY))
