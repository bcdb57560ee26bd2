"""``max_test_samples`` is bounded by the permutation test's joint kernel (QA: 100,000 per side of two
60k-sample domains asked for a 120k x 120k float32 matrix, 57 GB): a value that cannot fit is refused
in one line before anything loads, and the largest that fits is taken."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tlcore.cli import main
from tlcore.data import spec
from tlcore.diagnosis_settings import MAX_KERNEL_BYTES, MAX_TEST_SAMPLES, GapSettings
from tlcore.errors import TLError

REFUSAL = (
    "max_test_samples 100000 would need the permutation test's joint kernel of up to 200000 x 200000 "
    "float32, 149 GiB; at most 11585 per side fits in its 2 GiB"
)


def test_the_bound_is_the_largest_per_side_count_whose_kernel_fits() -> None:
    assert MAX_TEST_SAMPLES == 11585
    assert 4 * (2 * MAX_TEST_SAMPLES) ** 2 <= MAX_KERNEL_BYTES < 4 * (2 * MAX_TEST_SAMPLES + 2) ** 2
    assert GapSettings(max_test_samples=MAX_TEST_SAMPLES).max_test_samples == 11585
    with pytest.raises(TLError) as refused:
        GapSettings(max_test_samples=100_000)
    assert str(refused.value) == REFUSAL
    with pytest.raises(TLError) as refused:  # its kernel rounds to the limit's 2 GiB: said in bytes
        GapSettings(max_test_samples=MAX_TEST_SAMPLES + 1)
    assert str(refused.value).endswith(
        "23172 x 23172 float32, 2,147,766,336 bytes; at most 11585 per side fits in its 2,147,483,648 bytes"
    )


def test_diagnose_refuses_it_in_one_line_before_loading_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before the run's model (here: a run there is none of) and before the pair."""

    def no_loading(*args: object, **kwargs: object) -> None:
        raise AssertionError("the pair was loaded before the refusal")

    monkeypatch.setattr(spec, "load_sides", no_loading)
    argv = ["--workspace", str(tmp_path / "ws"), "diagnose", "--source", "mnist5k", "--target", "digits"]
    assert main([*argv, "--features", "run:none", "--max-test-samples", "100000"]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"error: {REFUSAL}\n")


def test_diagnose_takes_the_largest_value_that_fits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--workspace", str(tmp_path / "ws"), "diagnose", "--source", "mnist5k:n=60"]
    argv += ["--target", "digits:n=50", "--max-test-samples", str(MAX_TEST_SAMPLES)]
    assert main([*argv, "--permutations", "20", "--no-explain", "--no-umap", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["settings"]["max_test_samples"] == 11585
    assert payload["gap"]["mmd_test_samples"] == [60, 50]  # every sample: none beyond the bound
