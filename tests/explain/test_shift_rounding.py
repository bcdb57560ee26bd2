"""A column's move in source SDs reads the same in the verdict, the cause list, the details and the
report's table (QA: ``age moved +0.9 source SDs`` in the headline, ``+0.95`` in the details)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tests.explain.test_verdict_cli import run
from tlcore.numbers import sds


def age_csvs(folder: Path) -> tuple[str, str]:
    """200 rows a side; the target's ages are the source's moved by 0.95 of their SD (10 years)."""
    rng = np.random.default_rng(0)
    z = rng.normal(size=200)
    z = (z - z.mean()) / z.std()
    paths = []
    for side, shift in (("source", 0.0), ("target", 0.95)):
        x = rng.normal(size=200).round(3)
        frame = pd.DataFrame({"age": (40 + 10 * (z + shift)).round(4), "x": x, "label": (x > 0).astype(int)})
        frame.to_csv(folder / f"{side}.csv", index=False)
        paths.append(str(folder / f"{side}.csv"))
    return paths[0], paths[1]


def test_a_shift_in_sds_is_written_one_way() -> None:
    assert [sds(v) for v in (0.95, 0.7441, -2.814, 1796.6, 4.0)] == [
        "+0.95",
        "+0.744",
        "-2.81",
        "+1,797",
        "+4",
    ]


def test_a_columns_move_reads_the_same_in_the_verdict_the_details_and_the_report(capsys, tmp_path) -> None:
    source, target = age_csvs(tmp_path)
    page = tmp_path / "report.html"
    out = run(capsys, tmp_path, "--source", source, "--target", target, "--report", str(page))
    (verdict,) = [line for line in out.splitlines() if line.startswith("Verdict:")]
    assert verdict.startswith(
        "Verdict: Most of the gap: age moved +0.95 source SDs. age: mean 40 -> 49.5 (+0.95"
    )
    assert "  1. age moved +0.95 source SDs (accounts for 100% of the gap)" in out
    assert "  mild   age: mean 40 -> 49.5 (+0.95 source SDs), spread 10 -> 10 (1x)" in out
    assert "+0.9 " not in out
    html = page.read_text(encoding="utf-8")
    assert "age moved +0.95 source SDs" in html and "<td class='num'>+0.95</td>" in html
