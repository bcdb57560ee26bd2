"""Every hostile file gets one specific line from every entry point, and leaves nothing behind.

Entry points: ``read_path``, ``load_domain`` (a path spec), ``save_upload``, and the CLI's
``data inspect FILE`` and ``data upload FILE`` (exit 2, one ``error:`` line on stderr, nothing on
stdout). Valid but messy files load with the right counts, directly and through the workspace.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hostile_files import HOSTILE, MESSY, pickle_payload, string_bomb_parquet, zip_bytes

from tlcore.cli import main
from tlcore.data import load_domain, read_path, save_upload
from tlcore.errors import TLError
from tlcore.workspace import Workspace

REPO = Path(__file__).resolve().parents[2]


def files_under(root: Path) -> list[str]:
    """Every file below ``root``, hidden ones included (a half-written upload would show here)."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def cli(capsys: pytest.CaptureFixture[str], workspace: Workspace, *argv: str) -> tuple[int, str, str]:
    code = main(["--workspace", str(workspace.root), *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("case_id", sorted(HOSTILE))
def test_hostile_file_is_refused_everywhere(
    case_id: str,
    tmp_path: Path,
    workspace: Workspace,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    case = HOSTILE[case_id]
    assert case.keyword not in case.filename  # the message must say it, not merely name the file
    for var, value in case.env.items():
        monkeypatch.setenv(var, value)
    data = case.build()
    path = tmp_path / "incoming" / case.filename
    path.parent.mkdir()
    path.write_bytes(data)
    assert files_under(workspace.root) == []
    attempts = {
        "read_path": lambda: read_path(path),
        "load_domain": lambda: load_domain(str(path), workspace),
        "save_upload": lambda: save_upload(workspace, case.filename, data),
    }
    for name, attempt in attempts.items():
        with pytest.raises(TLError) as caught:
            attempt()
        message = str(caught.value)
        assert case.keyword in message, f"{name}: {message}"
        assert all(var in message for var in case.env), f"{name} does not name the limit: {message}"
        assert "\n" not in message and len(message) < 400, f"{name}: {message!r}"
    for command in ("inspect", "upload"):
        code, out, err = cli(capsys, workspace, "data", command, str(path))
        assert (code, out) == (2, ""), f"data {command}: {err}"
        assert err.startswith("error: ") and err.count("\n") == 1 and case.keyword in err, err
    assert files_under(workspace.root) == []  # nothing stored, no half-written .incoming file left


@pytest.mark.parametrize("case_id", sorted(MESSY))
def test_messy_file_loads(case_id: str, tmp_path: Path, workspace: Workspace) -> None:
    case = MESSY[case_id]
    data = case.build()
    path = tmp_path / case.filename
    path.write_bytes(data)
    domain = read_path(path)
    assert (domain.n_samples, domain.classes, domain.shape) == (case.n_samples, case.classes, case.shape)
    assert domain.meta.get("n_corrupt", 0) == case.n_corrupt
    if case.classes:
        assert domain.y is not None and sorted(set(domain.y.tolist())) == list(range(len(case.classes)))
    stored = load_domain(f"upload:{save_upload(workspace, case.filename, data)}", workspace)
    assert stored.n_samples == case.n_samples and stored.classes == case.classes


@pytest.mark.parametrize("case_id", ["too-many-members", "too-many-members-zip64"])
def test_entries_are_counted_before_the_archive_is_parsed(
    case_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """zipfile builds an object per entry: millions of empty entries must be refused before that."""
    path = tmp_path / "many.zip"
    path.write_bytes(HOSTILE[case_id].build())
    assert len(zipfile.ZipFile(path).infolist()) == 30
    monkeypatch.setenv("TLSTUDIO_MAX_MEMBERS", "20")

    def parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the archive was parsed before its entries were counted")

    monkeypatch.setattr(zipfile, "ZipFile", parse)
    with pytest.raises(TLError, match="too many entries, more than the limit of 20"):
        read_path(path)
    monkeypatch.setenv("TLSTUDIO_MAX_MEMBERS", "30")
    with pytest.raises(AssertionError, match="parsed before"):
        read_path(path)  # 30 entries pass the count, so zipfile is reached


@pytest.mark.parametrize("case_id", ["wide-parquet", "long-parquet", "packed-parquet", "nested-parquet"])
def test_parquet_metadata_is_checked_before_reading(
    case_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = HOSTILE[case_id]
    path = tmp_path / case.filename
    path.write_bytes(case.build())
    for var, value in case.env.items():
        monkeypatch.setenv(var, value)

    def read_table(*args: object, **kwargs: object) -> None:
        raise AssertionError("the table was read before its metadata was checked")

    monkeypatch.setattr(pq, "read_table", read_table)
    with pytest.raises(TLError, match=case.keyword):
        read_path(path)


def test_no_reader_ever_unpickles(tmp_path: Path, workspace: Workspace) -> None:
    """A pickle under any supported name is refused; a pickle glued before an .npz is never run."""
    marker = tmp_path / "pickle-ran"
    payload = pickle_payload(marker)
    for name in ("model.npz", "model.csv", "model.parquet", "model.zip"):
        (tmp_path / name).write_bytes(payload)
        with pytest.raises(TLError):
            read_path(tmp_path / name)
        with pytest.raises(TLError):
            save_upload(workspace, name, payload)
    glued = payload + zip_bytes({})  # starts like a pickle, ends like an (empty) archive
    (tmp_path / "glued.npz").write_bytes(glued)
    with pytest.raises(TLError, match="missing the array X"):
        read_path(tmp_path / "glued.npz")
    assert not marker.exists()
    assert files_under(workspace.root) == []


def test_parquet_string_labels_are_not_expanded(tmp_path: Path) -> None:
    """A 2 kB Parquet file whose label column decodes to 400 MB is read dictionary-encoded."""
    path = tmp_path / "labels.parquet"
    path.write_bytes(string_bomb_parquet(20_000, 20_000))
    pool = pa.default_memory_pool()
    before = pool.max_memory()
    tracemalloc.start()  # numpy and Python allocations
    try:
        domain = read_path(path)
        _, python_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert domain.n_samples == 20_000 and domain.n_classes == 1
    assert pool.max_memory() - before < 64 << 20 and python_peak < 64 << 20


def test_cli_upload_checks_the_size_before_reading(
    tmp_path: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TLSTUDIO_MAX_UPLOAD_BYTES", "1000")
    big = tmp_path / "big.csv"
    big.write_bytes(b"a\n" + b"1\n" * 1000)

    def refuse(self: Path) -> bytes:
        raise AssertionError(f"{self} was read before its size was checked")

    monkeypatch.setattr(pathlib.Path, "read_bytes", refuse)
    code, _, err = cli(capsys, workspace, "data", "upload", str(big))
    assert code == 2 and "above the upload limit" in err and err.count("\n") == 1


def test_hostile_upload_in_a_real_process(tmp_path: Path) -> None:
    """The real interpreter: exit 2, one line, no traceback, nothing stored."""
    path = tmp_path / "slip.zip"
    path.write_bytes(HOSTILE["dot-dot-path"].build())
    workspace = tmp_path / "ws"
    result = subprocess.run(
        [sys.executable, "-m", "tlcore", "--workspace", str(workspace), "data", "upload", str(path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == "error: slip.zip contains an unsafe path '../evil.png' (absolute or with '..')\n"
    assert files_under(workspace) == []
