"""One shared sample reads in the singular wherever the overlap is told: the shared: line and its fix,
the verdict that leads with the copies, a run's note ("1 of the target's 8 samples is an exact copy
of a source sample", not "1 ... are exact copies of source samples")."""

from __future__ import annotations

from pathlib import Path

import pytest

from tlcore.cli import main
from tlcore.commands import command_line
from tlcore.data.overlap import SharedSamples, copies_words
from tlcore.explain.verdict import verdict
from tlcore.views.run_tables import shared_note


def test_the_shared_line_of_one_copy_reads_in_the_singular(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A table whose row 0 repeats a source row, a sample of the target's test split for seed 0."""
    source = [f"{2 * i + 1},{2 * i + 2},{'xy'[i % 2]}" for i in range(10)]
    target = ["3,4,y", *(f"{101 + i},{i + 2},{'xy'[(i + 1) % 2]}" for i in range(7))]
    for name, rows in (("rs.csv", source), ("rt.csv", target)):
        (tmp_path / name).write_text("a,b,label\n" + "\n".join(rows) + "\n")
    pair = ["--source", str(tmp_path / "rs.csv"), "--target", str(tmp_path / "rt.csv")]
    assert main(["--workspace", str(tmp_path / "ws"), "diagnose", *pair, "--no-umap", "--no-explain"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert (
        "found by content: 1 of the target's 8 samples is an exact copy of a source sample, and 1 of the 2 "
        "target test samples a run with seed 0 scores on is a copy of a source training sample, so its "
        "target accuracy reads too high; to score transfer, remove the copy from the target (sample id 0; "
        f"{command_line('data', 'drop-copies', workspace=str(tmp_path / 'ws'))} drops it)"  # as given
    ) in text


def test_the_verdict_and_a_runs_note_of_one_copy_read_in_the_singular() -> None:
    one = verdict([], "none", copied=(1, 30), source_spec="upload:a.zip", target_spec="upload:b.zip")
    assert one.headline == (
        "1 of the target's 30 samples is a copy of a source sample: the gap measured here is smaller than "
        "the real target's; remove it first. With it, no detectable gap and no other cause found."
    )
    stored = {"by": "content", "shared": 1, "n_target": 60, "shared_test": 1, "n_test": 12, "near_copies": 1}
    assert shared_note({"shared_samples": stored}) == (
        "1 of the 12 target test samples it scored on is a copy of a source training sample, so its target "
        "accuracy reads too high (1 of its target's 60 samples is a near copy of a source sample "
        "(re-encoded, resized or shifted))"
    )
    by_ids = stored | {"by": "ids", "near_copies": 0}
    assert shared_note({"shared_samples": by_ids}) == (
        "1 of the 12 target test samples it scored on is a source training sample, so its target accuracy "
        "reads too high (1 of its target's 60 samples is a source sample)"
    )


def test_one_sample_shared_by_ids_reads_in_the_singular() -> None:
    """Two specs of one dataset sharing a single sample: the line says so as a run's note does."""
    shared = SharedSamples(
        base="mnist5k", shared=1, n_source=100, n_target=40, shared_test=1, n_test=8, shared_held_out=0,
        n_source_val=20, seed=0, test_fraction=0.2, shifts=("", ""), fix=None,
    )  # fmt: skip
    assert shared.line() == (
        "source and target share images of mnist5k: 1 of the target's 40 samples is a source sample, and 1 "
        "of the 8 target test samples a run with seed 0 scores on is a source training sample, so its "
        "target accuracy reads too high; to score transfer, take the target from other data"
    )


def test_one_near_copy_among_exact_ones_reads_in_the_singular() -> None:
    """helper-263 read "(10 exact, 1 near copies: ...)" from ``data drop-copies``."""
    assert copies_words(11, 1) == (
        "copies of source samples (10 exact, 1 near copy: re-encoded, resized or shifted)"
    )
    assert copies_words(40, 30).endswith("(10 exact, 30 near copies: re-encoded, resized or shifted)")
