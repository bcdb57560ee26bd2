"""Every upload format round-trips, through a path and through the workspace; hostile files are refused."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from data_formats import digit_image, png_bytes, write_zip
from PIL import ExifTags, Image, JpegImagePlugin
from torch.nn.functional import interpolate

from tlcore.commands import command_in
from tlcore.data.spec import load_domain
from tlcore.data.uploads import list_uploads, read_path, safe_name, save_upload
from tlcore.errors import TLError
from tlcore.limits import Limits
from tlcore.workspace import Workspace


def class_zip(path: Path) -> Path:
    """Two class folders under two wrapping folders, plus OS junk and a README."""
    members = {
        f"export/set/{label}/{i}.png": png_bytes(digit_image(value + i))
        for label, value in (("zero", 0), ("seven", 7))
        for i in range(3)
    }
    members["export/set/README.txt"] = b"two classes"
    members["__MACOSX/export/set/zero/._0.png"] = b"resource fork"
    members["export/set/zero/.DS_Store"] = b"junk"
    return write_zip(path, members)


def test_zip_of_class_folders(tmp_path: Path) -> None:
    domain = read_path(class_zip(tmp_path / "classes.zip"))
    assert domain.shape == (1, 28, 28)
    assert domain.classes == ("seven", "zero")
    assert domain.class_counts() == {"seven": 3, "zero": 3}
    assert domain.meta == {"n_corrupt": 0, "n_ignored": 1, "unreadable": (), "n_resized": 0}  # no OS junk
    assert domain.provenance.endswith(
        "6 labelled images from classes.zip, 1 file of another type ignored: .txt (1)"
    )
    zero = domain.X[domain.y == 1][0, 0]
    torch.testing.assert_close(zero, torch.as_tensor(digit_image(0)).float() / 255)


def test_messy_images_are_harmonised(tmp_path: Path) -> None:
    members = {
        "a b/1.png": png_bytes(digit_image(1)),
        "a b/2.jpg": _jpeg(digit_image(2, size=40, rgb=True)),
        "chat été/3.png": png_bytes(np.dstack([digit_image(3)] * 3 + [np.full((28, 28), 255, np.uint8)])),
        "chat été/4.gif": _palette(digit_image(4)),
        "a b/6.jfif": _jpeg(digit_image(6)),  # JPEGs under the names Windows and old cameras give them
        "a b/7.JPE": _jpeg(digit_image(7)),
        "chat été/5.png": png_bytes(digit_image(5).astype(np.uint16) * 257),
        "chat été/broken.png": png_bytes(digit_image(6))[:60],
        "chat été/eps.png": b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 8 8\nshowpage\n",  # never decoded
        "a b/IMG_0001.HEIC": b"\x00\x00\x00\x18ftypheic",  # iPhone photos: not decodable here
        "a b/IMG_0002.HEIC": b"\x00\x00\x00\x18ftypheic",
        "chat été/notes.txt": b"scanned in May",
        "__MACOSX/a b/._1.png": b"resource fork",  # junk: neither an image nor an ignored file
    }
    domain = read_path(write_zip(tmp_path / "messy.zip", members))
    assert domain.shape == (3, 28, 28)  # the median size; RGB because one image is coloured
    assert domain.classes == ("a b", "chat été")
    assert domain.n_samples == 7 and domain.meta["n_corrupt"] == 2
    assert domain.ids[4:6] == ("a b/6.jfif", "a b/7.JPE")
    assert int((domain.X[5, 0] > 0.5).sum()) == (4 + 7) ** 2  # the .JPE file is its digit
    assert float(domain.X.max()) <= 1.0 and float(domain.X[-1].max()) > 0.99  # 16-bit scaled, not clipped
    assert domain.meta["unreadable"] == ("chat été/broken.png", "chat été/eps.png")
    assert domain.meta["n_ignored"] == 3
    assert domain.provenance.endswith(
        "2 unreadable skipped (chat été/broken.png, chat été/eps.png), 3 files of other types ignored: "
        ".heic (2), .txt (1)"
    )


def test_unlabelled_zip_and_folder(tmp_path: Path) -> None:
    members = {f"scans/{i}.png": png_bytes(digit_image(i, size=16)) for i in range(4)}
    domain = read_path(write_zip(tmp_path / "flat.zip", members))
    assert domain.y is None and domain.n_samples == 4 and domain.shape == (1, 16, 16)
    folder = tmp_path / "folder"
    for label in ("cat", "dog"):
        (folder / label).mkdir(parents=True)
        for i in range(2):
            (folder / label / f"{i}.png").write_bytes(png_bytes(digit_image(i)))
    (folder / "cat" / "link.png").symlink_to(folder / "dog" / "0.png")  # links are not followed
    labelled = read_path(folder)
    assert labelled.class_counts() == {"cat": 2, "dog": 2}


def _formats(tmp_path: Path) -> dict[str, bytes]:
    """One small valid file per upload format."""
    class_zip(tmp_path / "classes.zip")
    write_zip(tmp_path / "flat.zip", {f"{i}.png": png_bytes(digit_image(i)) for i in range(3)})
    np.savez(tmp_path / "arrays.npz", X=np.random.default_rng(0).random((5, 1, 28, 28)), y=np.arange(5) % 2)
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [4.0, 5.0, 6.0], "label": ["x", "y", "x"]})
    frame.to_csv(tmp_path / "table.csv", index=False)
    frame.to_parquet(tmp_path / "table.parquet")
    names = ("classes.zip", "flat.zip", "arrays.npz", "table.csv", "table.parquet")
    return {name: (tmp_path / name).read_bytes() for name in names}


def test_each_format_round_trips_through_the_workspace(tmp_path: Path, workspace: Workspace) -> None:
    for filename, data in _formats(tmp_path).items():
        direct = load_domain(str(tmp_path / filename), workspace)
        name = save_upload(workspace, filename, data)
        assert name == filename
        stored = load_domain(f"upload:{name}", workspace)
        assert stored.name == f"upload:{name}"
        rows = [
            direct.ids.index(i) for i in stored.ids
        ]  # a stored zip reads sorted by name, a path in its order
        assert torch.equal(stored.X, direct.X[rows])
        assert stored.classes == direct.classes and stored.labelled == direct.labelled
    names = ["arrays.npz", "classes.zip", "flat.zip", "table.csv", "table.parquet"]
    assert [u["spec"] for u in list_uploads(workspace)] == [f"upload:{name}" for name in names]
    shifted = load_domain("upload:classes.zip:rotate=90", workspace)
    assert shifted.name == "upload:classes.zip:rotate=90"


def test_save_upload_names_and_atomicity(tmp_path: Path, workspace: Workspace) -> None:
    data = _formats(tmp_path)["table.csv"]
    assert save_upload(workspace, "../../etc/My Data!.CSV", data) == "My_Data.csv"
    assert save_upload(workspace, "My Data!.csv", data) == "My_Data.csv"  # same bytes: same upload
    other = data.replace(b"1.0", b"7.0")
    assert save_upload(workspace, "My Data!.csv", other) == "My_Data-2.csv"
    with pytest.raises(TLError, match="not a well-formed table"):
        save_upload(workspace, "broken.csv", b"a,b\n1,2,3\n")
    with pytest.raises(TLError, match="unsupported file type"):
        save_upload(workspace, "script.py", b"print(1)")
    assert sorted(p.name for p in workspace.uploads.iterdir()) == ["My_Data-2.csv", "My_Data.csv"]
    with pytest.raises(TLError, match=r"no upload named 'gone\.zip'.*available: My_Data-2\.csv"):
        load_domain("upload:gone.zip", workspace)
    with pytest.raises(TLError, match="bad upload name"):
        load_domain("upload:../x.csv", workspace)
    assert safe_name(".hidden.zip") == "hidden.zip" and safe_name("données 1.npz") == "données_1.npz"


def test_a_missing_upload_names_ten_others_and_counts_the_rest(workspace: Workspace) -> None:
    workspace.uploads.mkdir(parents=True, exist_ok=True)
    for i in range(13):
        (workspace.uploads / f"batch_{i:02d}.csv").write_bytes(b"a,label\n1,x\n")
    names = [u["name"] for u in list_uploads(workspace)]
    with pytest.raises(TLError) as refused:
        load_domain("upload:gone.zip", workspace)
    assert str(refused.value).endswith(
        f"(available: {', '.join(names[:10])} and 3 more; `{command_in(workspace.root, 'data', 'list')}` "
        "lists them all)"
    )


def test_upload_size_limit(monkeypatch: pytest.MonkeyPatch, workspace: Workspace) -> None:
    monkeypatch.setenv("TLSTUDIO_MAX_UPLOAD_BYTES", "100")
    with pytest.raises(TLError, match="above the upload limit"):
        save_upload(workspace, "big.csv", b"a\n" + b"1\n" * 100)
    monkeypatch.setenv("TLSTUDIO_MAX_UPLOAD_BYTES", "lots")
    with pytest.raises(TLError, match="not a number"):
        Limits.from_env()


def _symlink_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo("cats/evil.png")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
    return path


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ({"../evil.png": b"x"}, "unsafe path '../evil.png'"),
        ({"./../evil.png": b"x"}, "unsafe path"),  # dropping '.' parts keeps '..' refused
        ({"/abs/evil.png": b"x"}, "unsafe path"),
        ({"a/b/../../c.png": b"x"}, "unsafe path"),
        ({"bomb/zeros.png": bytes(4 << 20)}, "decompression bomb"),
        ({f"{i}.png": b"" for i in range(30)}, "more than the limit of 20"),
        (
            {"readme.txt": b"no images here", "IMG_1.HEIC": b"", "IMG_2.heic": b""},
            r"contains no images \(looked for \.bmp, .*; found \.heic \(2\), \.txt \(1\)\)$",
        ),
        ({"a.png": b"not a png", "b.png": b"\x89PNG\r\n"}, "none of its 2 images could be decoded"),
        (
            {"loose.png": png_bytes(digit_image(1)), "cls/a.png": png_bytes(digit_image(2))},
            "mixes loose images",
        ),
    ],
)
def test_hostile_or_empty_archives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, members: dict, message: str
) -> None:
    monkeypatch.setenv("TLSTUDIO_MAX_MEMBERS", "20")
    with pytest.raises(TLError, match=message):
        read_path(write_zip(tmp_path / "x.zip", members))


def test_archive_refusals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(TLError, match="symbolic link"):
        read_path(_symlink_zip(tmp_path / "link.zip"))
    (tmp_path / "fake.zip").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(TLError, match="not a valid zip archive"):
        read_path(tmp_path / "fake.zip")
    monkeypatch.setenv("TLSTUDIO_MAX_UNCOMPRESSED_BYTES", "1000")
    with pytest.raises(TLError, match="unpacks to"):
        read_path(write_zip(tmp_path / "big.zip", {"a.png": bytes(2000)}))


def test_pixel_bomb_is_refused_before_decoding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TLSTUDIO_MAX_IMAGE_PIXELS", "250000")
    huge = png_bytes(np.zeros((1000, 1000), dtype=np.uint8))  # a few kB claiming a million pixels
    with pytest.raises(TLError, match="claims 1000x1000 pixels"):
        read_path(write_zip(tmp_path / "bomb.zip", {"a.png": png_bytes(digit_image(1)), "b.png": huge}))


@pytest.mark.parametrize(("form", "channels"), [("RGBA", 3), ("LA", 1), ("P", 1), ("L", 1)])
def test_transparent_images_are_shown_on_white(tmp_path: Path, form: str, channels: int) -> None:
    """Black ink (RGB 0) whose alpha is the ink: the digit shows dark on white, not all black."""
    ink = _ink(5)
    if form in {"P", "L"}:  # a transparency entry is all or nothing: opaque ink, transparent paper
        ink = np.where(ink > 0, 255, 0).astype(np.uint8)
    domain = read_path(write_zip(tmp_path / "sig.zip", {"sig.png": _transparent_png(form, ink)}))
    assert domain.shape == (channels, 28, 28)  # LA, gray palettes and L stay gray; RGBA may be colour
    composite = 1.0 - torch.as_tensor(ink).float() / 255  # black over white with the ink's alpha
    torch.testing.assert_close(domain.X[0], composite.expand(channels, 28, 28))


@pytest.mark.parametrize(
    ("orientation", "stored_as"),
    [
        (6, Image.Transpose.ROTATE_90),  # a phone held upright: stored turned left, shown turned right
        (8, Image.Transpose.ROTATE_270),
        (3, Image.Transpose.ROTATE_180),
        (5, Image.Transpose.TRANSPOSE),
        (2, Image.Transpose.FLIP_LEFT_RIGHT),
    ],
    ids=["6", "8", "3", "5", "2"],
)
def test_exif_orientation_turns_photos_upright(
    tmp_path: Path, orientation: int, stored_as: Image.Transpose
) -> None:
    rows, cols = np.mgrid[0:30, 0:20]
    upright = np.dstack([rows * 255 // 29, cols * 255 // 19, np.full_like(rows, 96)]).astype(np.uint8)
    stored = np.asarray(Image.fromarray(upright).transpose(stored_as))
    members = {"phone.jpg": _jpeg(stored, orientation), "scan.png": png_bytes(upright)}
    domain = read_path(write_zip(tmp_path / "photos.zip", members))
    assert domain.shape == (3, 30, 20)  # the upright size: both images agree on it
    expected = torch.as_tensor(upright).permute(2, 0, 1).float() / 255
    assert float((domain.X[0] - expected).abs().mean()) < 0.01  # JPEG loss only
    torch.testing.assert_close(domain.X[0], expected, atol=0.06, rtol=0)


def test_large_images_are_scaled_to_the_side_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TLSTUDIO_MAX_IMAGE_SIDE", "32")
    wide = png_bytes(np.full((64, 128), 200, dtype=np.uint8))
    domain = read_path(write_zip(tmp_path / "wide.zip", {"a.png": wide}))
    assert domain.shape == (1, 16, 32)
    torch.testing.assert_close(domain.X, torch.full((1, 1, 16, 32), 200 / 255))


def _photo(height: int, width: int) -> np.ndarray:
    """A smooth colour scene (uint8, ``height x width x 3``): what a phone photo looks like up close."""
    rows, cols = np.mgrid[0:height, 0:width] / max(height, width)
    return np.dstack([128 + 100 * np.sin(9 * rows), 128 + 100 * np.cos(7 * cols), 255 * rows * cols]).astype(
        np.uint8
    )


def test_a_large_jpeg_decodes_at_a_reduced_scale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    upright = _photo(1200, 1600)
    stored = np.asarray(Image.fromarray(upright).transpose(Image.Transpose.ROTATE_90))
    data = _jpeg(stored, orientation=6)  # 1200 x 1600 stored sideways, shown 1600 wide
    decoded: list[tuple[int, int]] = []
    load = JpegImagePlugin.JpegImageFile.load
    monkeypatch.setattr(
        JpegImagePlugin.JpegImageFile, "load", lambda self: (decoded.append(self.size), load(self))[1]
    )
    domain = read_path(write_zip(tmp_path / "phone.zip", {"a/photo.jpg": data}))
    assert domain.shape == (3, 96, 128)  # scaled to the side limit, upright
    assert decoded == [(600, 800)]  # stored 1200 x 1600 at 1/2: both sides still >= 4 x 128
    with Image.open(io.BytesIO(data)) as image:  # the full decode, turned upright and resized
        full = np.asarray(image.transpose(Image.Transpose.ROTATE_270), np.float32) / 255
    expected = interpolate(
        torch.from_numpy(full).permute(2, 0, 1)[None], size=(96, 128), mode="bilinear", antialias=True
    )
    assert float((domain.X - expected).abs().max()) < 0.5 / 255


def test_the_pixel_limits_count_the_pixels_decoded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    photo = _photo(2048, 2048)
    jpeg = write_zip(tmp_path / "jpeg.zip", {f"{i}.jpg": _jpeg(photo) for i in range(2)})
    png = write_zip(tmp_path / "png.zip", {f"{i}.png": png_bytes(photo) for i in range(2)})
    monkeypatch.setenv("TLSTUDIO_MAX_IMAGE_PIXELS", "300000")  # 2048² stored, 512² decoded at 1/4
    assert read_path(jpeg).shape == (3, 128, 128)
    with pytest.raises(TLError, match=r"'0.png' claims 2048x2048 pixels, above the limit of 300000"):
        read_path(png)
    monkeypatch.setenv("TLSTUDIO_MAX_IMAGE_PIXELS", "262144")
    monkeypatch.setenv("TLSTUDIO_MAX_TOTAL_PIXELS", "500000")  # two images of 512²: 524 288
    with pytest.raises(TLError, match="its 2 images decode to 524288 pixels in total"):
        read_path(jpeg)


def _ink(value: int) -> np.ndarray:
    """An anti-aliased digit's coverage (uint8): 0 on the background, up to 255 in the stroke."""
    return (digit_image(value) * np.linspace(0.4, 1.0, 28)).astype(np.uint8)


def _transparent_png(form: str, ink: np.ndarray) -> bytes:
    """Black ink on a transparent background, as drawing and signature apps export it."""
    black = np.zeros_like(ink)
    if form == "RGBA":
        image, options = Image.fromarray(np.dstack([black, black, black, ink])), {}
    elif form == "LA":
        image, options = Image.merge("LA", [Image.fromarray(black), Image.fromarray(ink)]), {}
    elif form == "P":  # index 0: black, transparent; index 1: black ink
        image = Image.frombytes("P", ink.shape[::-1], (ink > 0).astype(np.uint8).tobytes())
        image.putpalette([0, 0, 0, 0, 0, 0])
        options = {"transparency": 0}
    else:  # L: black ink on paper of gray level 1, the level a tRNS chunk names transparent
        image, options = Image.fromarray((ink == 0).astype(np.uint8)), {"transparency": 1}
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", **options)
    return buffer.getvalue()


def _jpeg(array: np.ndarray, orientation: int = 1) -> bytes:
    """A JPEG of ``array``, with an EXIF orientation tag unless it is 1 (upright)."""
    exif = Image.Exif()
    if orientation != 1:
        exif[ExifTags.Base.Orientation] = orientation
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="JPEG", quality=95, exif=exif)
    return buffer.getvalue()


def _palette(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).convert("P").save(buffer, format="GIF")
    return buffer.getvalue()
