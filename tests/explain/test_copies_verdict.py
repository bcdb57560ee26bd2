"""A target made mostly of copies of source samples: the verdict leads with the overlap, not with "No
detectable gap" (a gap measured between source samples and their copies says nothing of the real
target), in the engine, in ``diagnose``'s text and in its HTML report (with the shared: line)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from tests.data.data_formats import copied_digit_zips
from tests.data.test_drop_copies import mnist_digits
from tlcore.cli import main
from tlcore.commands import command_line
from tlcore.explain.verdict import verdict

LEAD = "samples are copies of source samples: the gap measured here is smaller than"


def test_the_verdict_leads_with_many_copies_and_with_any_beside_no_gap() -> None:
    specs = {"source_spec": "upload:a.zip", "target_spec": "upload:b.zip"}
    copied = verdict([], "none", copied=(20, 30), **specs)
    assert copied.headline == (
        "20 of the target's 30 samples are copies of source samples: the gap measured here is smaller "
        "than the real target's; remove them first. With them, no detectable gap and no other cause found."
    )
    assert copied.next_step == "remove the target's copies of source samples, then diagnose again"
    assert verdict([], "none", copied=(2, 30), **specs).headline.startswith(f"2 of the target's 30 {LEAD}")
    plain = verdict([], "none", **specs)
    assert (plain.headline, plain.next_step) == (
        "No detectable gap and no other cause found: nothing to fix.",
        "nothing to do",
    )
    gap = verdict([], "large", **specs).headline
    assert verdict([], "large", copied=(7, 30), **specs).headline == gap  # under a quarter: the gap's
    assert (
        verdict([], "large", copied=(8, 30), **specs).headline
        == f"8 of the target's 30 {LEAD} the real target's; remove them first. {gap}"
    )
    assert verdict([], "large", copied=(30, 30), **specs).headline.startswith("All 30 of the target's")


def test_diagnose_leads_its_verdict_with_the_targets_copies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, target, _ = copied_digit_zips(tmp_path, *mnist_digits())
    pair = ["--source", str(source), "--target", str(target)]
    report = tmp_path / "d.html"
    assert (
        main(["--workspace", str(tmp_path / "ws"), "diagnose", *pair, "--no-umap", "--report", str(report)])
        == 0
    )
    text = " ".join(capsys.readouterr().out.split())
    assert "shared: the target repeats source images, found by content: 20 of the target's 28" in text
    # the target's two 9s, a class the source lacks, left out of both counts
    assert (
        f"Verdict: 20 of the target's 28 {LEAD} the real target's; remove them first. No detectable gap"
        in text
    )
    # the gap's own reading leads with them too: no bare "No detectable gap" beside the verdict
    led = f"{LEAD} the real target's; remove them first. No detectable gap"
    assert text.count(led) == 2 and text.count("No detectable gap") == 2
    # the report says which copies and how to drop them, as the shared: line does
    page = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", report.read_text())).split())
    assert page.count(led) == 2 and page.count("No detectable gap") == 2
    assert "Shared samples: the target repeats source images, found by content: 20 of the target's 28" in page
    assert f"{command_line('data', 'drop-copies', workspace=str(tmp_path / 'ws'))} drops them" in page
