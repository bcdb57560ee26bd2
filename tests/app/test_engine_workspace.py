"""The app's workspace is resolved once per setting while its folder exists (a page run asks dozens of
times): a changed ``$TLSTUDIO_WORKSPACE`` or a removed folder is noticed on the next ask."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app_support import engine
from tlcore.workspace import Workspace


def test_the_workspace_is_resolved_once_and_again_when_its_setting_or_folder_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolves: list[str | None] = []
    resolve = Workspace.resolve.__func__  # type: ignore[attr-defined]

    def counting(cls: type[Workspace], *args: object, **kwargs: object) -> Workspace:
        resolves.append(str(args[0]) if args else None)
        return resolve(cls, *args, **kwargs)

    monkeypatch.setattr(Workspace, "resolve", classmethod(counting))
    first, second = tmp_path / "first", tmp_path / "second"
    monkeypatch.setenv("TLSTUDIO_WORKSPACE", str(first))
    assert all(engine.workspace().root == first for _ in range(50)) and len(resolves) == 1
    monkeypatch.setenv("TLSTUDIO_WORKSPACE", str(second))
    assert engine.workspace().root == second and second.is_dir() and len(resolves) == 2
    shutil.rmtree(second)  # removed while the server runs: made again, as every resolve did
    assert engine.workspace().root == second and second.is_dir() and len(resolves) == 3
    monkeypatch.setenv("TLSTUDIO_WORKSPACE", str(first))
    assert engine.workspace().root == first


def test_a_relative_workspace_follows_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``./workspace`` (no setting) and a relative setting are resolved in the working folder of the ask."""
    monkeypatch.delenv("TLSTUDIO_WORKSPACE", raising=False)
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        monkeypatch.chdir(tmp_path / name)
        assert engine.workspace().root == tmp_path / name / "workspace"
    monkeypatch.setenv("TLSTUDIO_WORKSPACE", "ws")
    assert engine.workspace().root == tmp_path / "two" / "ws"
    monkeypatch.chdir(tmp_path / "one")
    assert engine.workspace().root == tmp_path / "one" / "ws"
