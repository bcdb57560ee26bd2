"""A zip archive of images is decoded once a process (tlcore.data.images.read_images): the
`adapt` CLI loads its pair for the estimate and again for the run (an upload of photos decoded twice,
1.2-1.9 s each); a changed file, other decode settings or a folder are decoded again."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from data_formats import digit_image, png_bytes, write_zip

from tlcore.data import images
from tlcore.data.uploads import read_path


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """One entry per decode of an image collection (a read to a given shape also works out the files'
    own geometry: counting geometries would count it twice)."""
    seen: list[str] = []
    decode = images._read_images

    def counted(*args: Any, **kwargs: Any) -> Any:
        seen.append("decode")
        return decode(*args, **kwargs)

    monkeypatch.setattr(images, "_read_images", counted)
    return seen


def _zip(path: Path, n: int = 3) -> Path:
    return write_zip(path, {f"{c}/{i}.png": png_bytes(digit_image(i)) for c in ("a", "b") for i in range(n)})


def test_a_zip_is_decoded_once_until_it_changes(tmp_path: Path, decodes: list[str]) -> None:
    path = _zip(tmp_path / "shapes.zip")
    first = read_path(path, label="upload:shapes.zip")
    second = read_path(path, label="upload:shapes.zip")
    assert len(decodes) == 1  # the old code: 2
    assert second.X is first.X and second.n_samples == 6 and second.classes == ("a", "b")
    second.meta["n_corrupt"] = 99  # a caller's change of its meta stays its own
    assert read_path(path, label="upload:shapes.zip").meta["n_corrupt"] == 0
    assert read_path(path, image_shape=(1, 14, 14)).shape == (1, 14, 14)  # another geometry: again
    assert len(decodes) == 2
    _zip(path, n=4)  # replaced: another size and time
    assert read_path(path, label="upload:shapes.zip").n_samples == 8 and len(decodes) == 3
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))  # touched: again
    assert read_path(path, label="upload:shapes.zip").n_samples == 8 and len(decodes) == 4


def test_a_folder_is_decoded_each_time(tmp_path: Path, decodes: list[str]) -> None:
    """A folder's files may change without its own size or time changing: never kept (a zip is)."""
    folder = tmp_path / "scans"
    folder.mkdir()
    for i in range(2):
        (folder / f"{i}.png").write_bytes(png_bytes(digit_image(i)))
    read_path(folder)
    read_path(folder)
    assert len(decodes) == 2
    path = _zip(tmp_path / "scans.zip")
    read_path(path)
    read_path(path)
    assert len(decodes) == 3  # the old code: 4


def test_the_process_keeps_a_few_archives(tmp_path: Path, decodes: list[str]) -> None:
    """Least recently used out: the app's long-lived process does not grow without end."""
    paths = [_zip(tmp_path / f"{i}.zip", n=1) for i in range(images.DECODED_ZIPS + 1)]
    for path in paths:
        read_path(path)
    read_path(paths[-1])  # kept
    assert len(decodes) == images.DECODED_ZIPS + 1
    read_path(paths[0])  # the least recently used: dropped
    assert len(decodes) == images.DECODED_ZIPS + 2
    assert images._decoded_zip.cache_info().currsize == images.DECODED_ZIPS
