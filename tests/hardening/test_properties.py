"""Property tests: the spec parser and the upload readers fail only with TLError, and round-trip.

Readers get generated CSV text, ``.npz`` arrays of any dtype and shape, and byte-level mutations of
valid archives, tables and arrays; each call must return a well-formed Domain or raise TLError.
Examples are derandomised (the same ones every run) and nothing is stored between runs.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hostile_files import encode, npz_bytes, parquet_bytes, square, zip_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tlcore.data import Domain, DomainSpec, load_domain, parse_spec, read_path
from tlcore.data.builtin import BUILTINS
from tlcore.data.shift_table import get_shift, shift_names
from tlcore.data.torchvision_sets import SETS
from tlcore.data.uploads import SUFFIXES
from tlcore.errors import TLError

FAST = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SPEC_TOKENS = [
    "mnist5k",
    "usps",
    "upload:",
    "@",
    ":",
    ",",
    "=",
    "rotate",
    "n",
    "split",
    "label",
    "~",
    "/",
    "\n",
]


def check_domain(domain: Domain) -> None:
    """What every reader promises: finite float32 samples, labels in range and one per sample."""
    assert domain.X.dtype.is_floating_point and str(domain.X.dtype) == "torch.float32"
    assert domain.X.ndim in (2, 4) and domain.n_samples >= 1 and domain.X[0].numel() >= 1
    assert bool(domain.X.isfinite().all())
    if domain.is_image:
        assert float(domain.X.min()) >= 0.0 and float(domain.X.max()) <= 1.0
    if domain.y is not None:
        assert len(domain.y) == domain.n_samples and len(set(domain.classes)) == domain.n_classes
        assert int(domain.y.min()) >= 0 and int(domain.y.max()) < domain.n_classes


def read_or_refuse(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    try:
        domain = read_path(path)
    except TLError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        check_domain(domain)


# --- the domain spec ---------------------------------------------------------------------------


@FAST
@given(
    st.one_of(st.text(max_size=60), st.lists(st.sampled_from(SPEC_TOKENS) | st.text(max_size=4)).map("".join))
)
def test_parse_spec_raises_only_tlerror(text: str) -> None:
    try:
        spec = parse_spec(text)
    except TLError as exc:
        assert "\n" not in str(exc)
    else:
        assert parse_spec(str(spec)) == spec


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x" * 300, "unknown domain"),  # the file system refuses to stat so long a name
        ("mnist5k:n=²", "positive whole number"),  # '²'.isdigit() but int('²') fails
        ("mnist5k:rotate=1\n2", r"rotate='1\\n2': the value must be a number"),
        ("usps:download=\x1b[2J", "use 1 or 0"),
    ],
)
def test_parse_spec_edge_cases(text: str, message: str) -> None:
    with pytest.raises(TLError, match=message) as caught:
        parse_spec(text)
    assert str(caught.value).isprintable()


def test_paths_the_system_cannot_handle_are_tlerrors() -> None:
    with pytest.raises(TLError, match="no such user"):
        load_domain("~no-such-user-here/x.csv")
    with pytest.raises(TLError, match="File name too long"):
        read_path(Path("x" * 300))


def shifts() -> st.SearchStrategy[tuple[tuple[str, float], ...]]:
    def values(names: list[str]) -> st.SearchStrategy[tuple[tuple[str, float], ...]]:
        ranges = [get_shift(name) for name in names]
        floats = [st.floats(s.low, s.high, allow_nan=False, allow_infinity=False) for s in ranges]
        return st.tuples(*floats).map(lambda vs: tuple(zip(names, vs, strict=True)))

    return st.lists(st.sampled_from(shift_names()), unique=True, max_size=3).flatmap(values)


SAFE = st.text("abcXYZ019_-.", min_size=1, max_size=12).filter(lambda s: s.strip("._-") and s[0] != ".")
LABEL = st.text("abcXYZ019_ ", min_size=1, max_size=10).map(str.strip).filter(bool)


@st.composite
def valid_specs(draw: st.DrawFn) -> DomainSpec:
    """Any spec the grammar allows, built as the object it must parse to."""
    kind = draw(st.sampled_from(["builtin", "torchvision", "file", "upload"]))
    common = {
        "shifts": draw(shifts()),
        "n": draw(st.none() | st.integers(1, 10**6)),
        "drop_blank": draw(st.booleans()),
    }
    if kind in ("builtin", "torchvision"):
        table = BUILTINS if kind == "builtin" else SETS
        name = draw(st.sampled_from(sorted(table)))
        takes_root = kind == "torchvision" or BUILTINS[name].needs_root
        return DomainSpec(
            kind,
            name,
            root=draw(st.none() | SAFE.map(lambda s: f"/data/{s}")) if takes_root else None,
            split=draw(st.none() | st.sampled_from(table[name].splits)),
            download=draw(st.booleans()) if kind == "torchvision" else False,
            **common,
        )
    suffix = draw(st.sampled_from(SUFFIXES))
    name = draw(SAFE) + suffix
    return DomainSpec(kind, f"./{name}" if kind == "file" else name, label=draw(st.none() | LABEL), **common)


@FAST
@given(valid_specs())
def test_valid_specs_round_trip(spec: DomainSpec) -> None:
    text = str(spec)
    assert parse_spec(text) == spec
    assert str(parse_spec(text)) == text


# --- readers on generated content --------------------------------------------------------------

CELLS = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True, width=64).map(repr),
    st.sampled_from(["", "nan", "inf", "-inf", "NA", "cat", "dog", '"q,uoted"', "1e999", "0x10", " 3 "]),
    st.text(max_size=5),
)
HEADERS = st.one_of(
    st.sampled_from(["a", "b", "label", "y", "Class", "target", "", "a"]), st.text(max_size=5)
)


@st.composite
def csv_texts(draw: st.DrawFn) -> bytes:
    width = draw(st.integers(1, 5))
    header = draw(st.lists(HEADERS, min_size=width, max_size=width)) if draw(st.booleans()) else []
    rows = draw(st.lists(st.lists(CELLS, min_size=max(1, width - 1), max_size=width + 1), max_size=6))
    lines = [",".join(header)] * bool(header) + [",".join(row) for row in rows]
    return "\n".join(lines).encode("utf-8", "surrogatepass")


@FAST
@given(st.one_of(csv_texts(), st.binary(max_size=300)))
def test_csv_reader_returns_a_domain_or_tlerror(tmp_path: Path, data: bytes) -> None:
    read_or_refuse(tmp_path / "generated.csv", data)


DTYPES = st.sampled_from(["f4", "f8", "f2", "i1", "i8", "u1", "u8", "?", "c8", "U3", "S2", "M8[s]"])


@st.composite
def npz_contents(draw: st.DrawFn) -> bytes:
    X = draw(hnp.arrays(DTYPES, hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=4)))
    arrays = {"X": X}
    if draw(st.booleans()):
        n = draw(st.sampled_from([len(X) if X.ndim else 1, 0, 3]))
        arrays["y"] = draw(hnp.arrays(st.sampled_from(["i8", "f8", "U2", "?"]), n))
    if draw(st.booleans()):
        arrays["classes"] = draw(hnp.arrays(st.sampled_from(["U2", "i4"]), draw(st.integers(0, 4))))
    return npz_bytes(compressed=draw(st.booleans()), **arrays)


@FAST
@given(npz_contents())
def test_npz_reader_returns_a_domain_or_tlerror(tmp_path: Path, data: bytes) -> None:
    read_or_refuse(tmp_path / "generated.npz", data)


def _seeds() -> dict[str, bytes]:
    """Small valid files of each format: the starting points of the byte mutations."""
    image_zip = zip_bytes({f"{c}/{i}.png": encode(square(i, 12)) for c in "ab" for i in range(2)})
    npz = npz_bytes(X=np.arange(12, dtype=np.float32).reshape(4, 3), y=np.array([0, 1, 0, 1]))
    table = parquet_bytes(pa.table({"f": [1.0, 2.0], "label": ["a", "b"]}))
    return {
        "seed.zip": image_zip,
        "seed.npz": npz,
        "seed.parquet": table,
        "seed.csv": b"a,b,y\n1,2,x\n3,4,z\n",
    }


SEEDS = _seeds()


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, bytes]:
    """A seed file with some bytes overwritten, a cut, or a splice."""
    name = draw(st.sampled_from(sorted(SEEDS)))
    data = bytearray(SEEDS[name])
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data) - 1))
        data[at : at + 4] = draw(st.binary(min_size=1, max_size=4))
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return name, bytes(data)


@settings(FAST, max_examples=200)
@given(mutations())
def test_mutated_files_return_a_domain_or_tlerror(tmp_path: Path, case: tuple[str, bytes]) -> None:
    name, data = case
    read_or_refuse(tmp_path / name, data)


def test_seeds_are_valid(tmp_path: Path) -> None:
    for name, data in SEEDS.items():
        (tmp_path / name).write_bytes(data)
        check_domain(read_path(tmp_path / name))
    assert math.isclose(float(read_path(tmp_path / "seed.npz").X.sum()), 66.0)
