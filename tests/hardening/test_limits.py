"""Every limit lives in :class:`Limits`, is documented with its variable, and its variable reaches its check.

For each refusing limit, one small file loads under the defaults and is refused once the limit's
environment variable is lowered (or the reverse, for the compression ratio whose default refuses);
the refusal names that variable, so the user knows what to raise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
from hostile_files import encode, npz_bytes, square, wide_csv, zip_bytes

import tlcore.limits
from tlcore.adapt.config import AdaptConfig
from tlcore.data import read_path, save_upload
from tlcore.errors import TLError
from tlcore.limits import Limits, env_var, format_bytes
from tlcore.methods import get_method
from tlcore.workspace import Workspace


def test_every_limit_is_documented_with_its_variable() -> None:
    doc = tlcore.limits.__doc__ or ""
    for field in fields(Limits):
        assert f"``{field.name}`` (``{env_var(field.name)}``)" in doc


def test_environment_overrides_every_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    for i, field in enumerate(fields(Limits), start=2):
        monkeypatch.setenv(env_var(field.name), str(i))
    limits = Limits.from_env()
    assert [getattr(limits, f.name) for f in fields(Limits)] == list(range(2, 2 + len(fields(Limits))))
    for bad, message in (("lots", "not a number"), ("0", "must be positive"), ("-5", "must be positive")):
        monkeypatch.setenv("TLSTUDIO_MAX_MEMBERS", bad)
        with pytest.raises(TLError, match=f"TLSTUDIO_MAX_MEMBERS.*{message}"):
            Limits.from_env()


def images() -> tuple[str, bytes]:
    """Four 28 x 28 grayscale images in two classes: 3136 pixels, 12 544 bytes as float32."""
    return "four.zip", zip_bytes({f"{c}/{i}.png": encode(square(i)) for i, c in enumerate("abab")})


def table() -> tuple[str, bytes]:
    """30 rows x 3 features: 360 bytes as float32."""
    return "table.csv", b"a,b,c\n" + b"1,2,3\n" * 30


def arrays() -> tuple[str, bytes]:
    """30 samples x 3 features: 360 bytes as float32."""
    return "arrays.npz", npz_bytes(X=np.ones((30, 3)))


def wide() -> tuple[str, bytes]:
    """One row of 60 columns."""
    return "wide.csv", wide_csv(60)


# (limit, a small file, the override that makes it a refusal, a keyword of the refusal)
CASES: list[tuple[str, Callable[[], tuple[str, bytes]], str, str]] = [
    ("max_upload_bytes", images, "100", "above the upload limit"),
    ("max_uncompressed_bytes", images, "100", "uncompressed"),
    ("max_members", images, "3", "too many entries"),
    ("max_image_pixels", images, "700", "pixels, above the limit"),
    ("max_total_pixels", images, "3000", "pixels in total"),
    ("max_tensor_bytes", images, "10000", "above the tensor limit"),
    ("max_tensor_bytes", table, "100", "above the tensor limit"),
    ("max_tensor_bytes", arrays, "100", "above the tensor limit"),
    ("max_table_columns", wide, "50", "more than 50 columns"),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{field}-{build.__name__}" for field, build, _, _ in CASES])
def test_lowering_a_limit_refuses_what_the_default_accepts(
    case: tuple[str, Callable[[], tuple[str, bytes]], str, str],
    tmp_path: Path,
    workspace: Workspace,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    field, build, lowered, keyword = case
    name, data = build()
    path = tmp_path / name
    path.write_bytes(data)
    assert read_path(path).n_samples >= 1
    monkeypatch.setenv(env_var(field), lowered)
    with pytest.raises(TLError, match=keyword) as refused:
        save_upload(workspace, name, data)
    assert f"({env_var(field)})" in str(refused.value)


@pytest.mark.parametrize(("field", "lowered"), [("max_members", "3"), ("max_uncompressed_bytes", "100")])
def test_a_folder_over_a_limit_names_that_limits_variable(
    field: str, lowered: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i, label in enumerate("abab"):
        (tmp_path / "four" / label).mkdir(parents=True, exist_ok=True)
        (tmp_path / "four" / label / f"{i}.png").write_bytes(encode(square(i)))
    assert read_path(tmp_path / "four").n_samples == 4
    monkeypatch.setenv(env_var(field), lowered)
    with pytest.raises(TLError) as refused:
        read_path(tmp_path / "four")
    message = str(refused.value)
    named = [var for var in map(env_var, ("max_members", "max_uncompressed_bytes")) if var in message]
    assert named == [env_var(field)], message


def test_raising_the_ratio_limit_accepts_a_compressible_array(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "zeros.npz"
    path.write_bytes(npz_bytes(compressed=True, X=np.zeros((512, 512))))  # 2 MiB of zeros, ~1000x
    with pytest.raises(
        TLError, match=rf"above the limit of 200x \({env_var('max_compression_ratio')}\): a de"
    ):
        read_path(path)
    monkeypatch.setenv(env_var("max_compression_ratio"), "1e6")
    assert read_path(path).shape == (512,)


def test_the_side_limit_scales_instead_of_refusing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(env_var("max_image_side"), "14")
    path = tmp_path / "four.zip"
    path.write_bytes(images()[1])
    assert read_path(path).shape == (1, 14, 14)


@pytest.mark.parametrize(
    ("n", "text"),
    [(0, "0 bytes"), (1000, "1000 bytes"), (1536, "1.5 KiB"), (200 << 20, "200 MiB"), (5 << 40, "5120 GiB")],
)
def test_format_bytes(n: int, text: str) -> None:
    assert format_bytes(n) == text


def test_the_layer_width_limit_reaches_the_config_and_the_methods(monkeypatch: pytest.MonkeyPatch) -> None:
    small = {"dann": {"hidden": 8}, "cdan": {"hidden": 8, "random_dim": 8}}  # under any limit
    widths = (("dann", "hidden"), ("cdan", "hidden"), ("cdan", "random_dim"))
    assert AdaptConfig("a", "b", bottleneck=512).bottleneck == 512
    for name, key in widths:
        assert getattr(get_method(name).parse_params({**small[name], key: 512}).params, key) == 512
    monkeypatch.setenv(env_var("max_layer_width"), "256")
    with pytest.raises(TLError, match=r"^bottleneck width must lie in 0\.\.256 .*TLSTUDIO_MAX_LAYER_WIDTH"):
        AdaptConfig("a", "b", bottleneck=512)
    for name, key in widths:
        with pytest.raises(TLError, match=rf"^{name}: {key} must lie in 1\.\.256 \(the limit is "):
            get_method(name).parse_params({**small[name], key: 512})
