"""``python -m tlcore diagnose`` explains the gap: text, ``--json`` with every finding, ``--report``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tlcore.cli import main
from tlcore.data import load_domain
from tlcore.explain.image_stats import STATISTICS

HOSTILE = "<img src=x onerror=alert(1)>"
FAST = ("--permutations", "50", "--no-umap")


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Dark ink on white: inverted MNIST digits in an .npz whose file name is markup."""
    digits = load_domain("mnist5k:n=300", seed=7)
    path = tmp_path_factory.mktemp("scans") / f"{HOSTILE}.npz"
    np.savez(path, X=1.0 - digits.X.numpy()[:, 0], y=digits.y.numpy(), classes=np.array(digits.classes))
    return path


def diagnose(capsys: pytest.CaptureFixture[str], workspace: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--workspace", str(workspace), "diagnose", "--source", "mnist5k:n=400", *FAST, *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_carries_every_statistic_finding_and_the_verdict(capsys, tmp_path: Path, scans: Path):
    code, out, err = diagnose(capsys, tmp_path, "--target", str(scans), "--json")
    assert code == 0, err
    explanation = json.loads(out)["explanation"]
    names = [s.name for s in STATISTICS]
    assert [f["statistic"] for f in explanation["findings"]] == [*names, "native_size"]
    assert set(explanation["statistics"]["source"]["statistics"]) == set(names)
    polarity = next(f for f in explanation["findings"] if f["statistic"] == "polarity")
    assert polarity["severity"] == "strong"
    assert polarity["fix"]["spec"] == f"{scans}:invert=1" and polarity["fix"]["helps"]
    first = explanation["verdict"]["causes"][0]
    assert (first["shift"], first["fix_spec"]) == ("invert", f"{scans}:invert=1")
    assert (first["fix_side"], first["fix_specs"]) == ("target", {"target": f"{scans}:invert=1"})


def test_text_and_report_name_the_fix_and_escape_the_file_name(capsys, tmp_path: Path, scans: Path):
    report = tmp_path / "diagnosis.html"
    code, out, err = diagnose(capsys, tmp_path, "--target", str(scans), "--report", str(report))
    assert code == 0, err
    assert "Verdict: Most of the gap: the target's polarity is reversed (dark on light)." in out
    assert f"Next step: use the target {scans}:invert=1" in out
    assert f"fix: invert=1 on the target: use {scans}:invert=1  [MMD²" in out
    page = report.read_text(encoding="utf-8")
    assert HOSTILE not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    for heading in ("Verdict", "Gap", "What differs", "Mean images", "Image statistics"):
        assert f"<h2>{heading}</h2>" in page
    assert page.count('<figure><img class="grid" src="data:image/png;base64,') == 3


def test_no_explain_skips_it_and_a_report_needs_its_folder(capsys, tmp_path: Path):
    code, out, _ = diagnose(capsys, tmp_path, "--target", "digits:n=50", "--no-explain", "--json")
    assert code == 0 and "explanation" not in json.loads(out)
    missing = tmp_path / "no" / "r.html"
    code, _, err = diagnose(capsys, tmp_path, "--target", "digits:n=50", "--report", str(missing))
    assert code == 2 and err.startswith("error: --report") and not missing.parent.exists()


def test_a_report_that_cannot_be_written_is_one_line(capsys, tmp_path: Path, monkeypatch):
    code, _, err = diagnose(capsys, tmp_path, "--target", "digits:n=50", "--report", str(tmp_path))
    assert code == 2 and err == f"error: --report {tmp_path}: it is a folder; name an .html file\n"

    def refused(path: Path, write: object) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("tlcore.cli.output.atomic_write", refused)
    report = tmp_path / "r.html"
    code, _, err = diagnose(
        capsys, tmp_path, "--target", "digits:n=50", "--no-explain", "--report", str(report)
    )
    assert code == 2 and err.endswith(f"error: --report {report}: cannot write it (Permission denied)\n")
    assert not report.exists()


def test_a_difference_within_chance_is_listed_apart_not_as_what_differs(capsys, tmp_path: Path) -> None:
    argv = ["--source", "fashion:split=train,n=30", "--target", "fashion:split=test,n=30", "--seed", "2"]
    code = main(["--workspace", str(tmp_path), "diagnose", "--permutations", "50", "--no-umap", *argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "What differs: nothing in the image statistics." in out
    chance = out.split("Not counted, within chance at these sample sizes:\n", 1)[1].splitlines()
    assert chance[0].startswith("  Alike within chance: slant of the ink's main axis -36.36 -> -8.054")
