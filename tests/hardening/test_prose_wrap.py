"""The CLI's prose wraps to the terminal (``$COLUMNS``, else the terminal's width, else 100 columns
when output goes to no terminal), its continuation lines hanging under the text; tables and JSON never
wrap. QA (helper-76's 30-class pair): ``runs show`` printed 164- to 340-character lines."""

from __future__ import annotations

import os
from dataclasses import replace

import numpy as np
import pytest
import torch

from tests.diagnosis.test_diagnose import FEW, _clustered
from tests.hardening.test_long_names import NAMES, _stored
from tlcore.cli import main
from tlcore.cli.diagnose_text import format_report
from tlcore.cli.explain_text import label_shift_lines
from tlcore.cli.output import display_width, prose_width, wrapped
from tlcore.diagnosis import diagnose
from tlcore.metrics.prior_shift import LabelShiftSettings, estimate_label_shift
from tlcore.workspace import Workspace

REASON = (
    "highest EnsV (0.885) among the 21 of 62 runs that kept at least 80% of their source-only model's "
    "effective classes, source accuracy within 3 points of it and ensemble agreement not below it"
)


def test_prose_hangs_under_its_label_and_keeps_a_path_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    assert wrapped(REASON, "  because: ") == [
        "  because: highest EnsV (0.885) among the 21 of 62 runs that",
        "           kept at least 80% of their source-only model's",
        "           effective classes, source accuracy within 3",
        "           points of it and ensemble agreement not below it",
    ]
    path = "/tmp/a-very/long-path/that-is-longer/than-the-whole-line/of-sixty-columns/result.json"
    assert wrapped(f"see {path}", "  ") == ["  see", f"  {path}"]  # never cut inside a word
    assert wrapped("", "  note: ") == ["  note:"]


def test_prose_wraps_at_100_columns_without_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS")

    def no_terminal(*_: object) -> os.terminal_size:
        raise OSError("not a terminal")

    monkeypatch.setattr(os, "get_terminal_size", no_terminal)
    assert prose_width() == 100
    assert [len(line) for line in wrapped(REASON, "  because: ")] == [99, 98, 23]
    monkeypatch.setenv("COLUMNS", "20")
    assert prose_width() == 60  # never narrower than a hanging indent leaves room for


def test_runs_show_wraps_its_prose_and_not_its_tables(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    classes = [f"category {i:02d} - a long name" for i in range(30)]
    run_id = _stored(workspace, classes, (np.eye(30, dtype=int) * 9 + 1).tolist())
    monkeypatch.setenv("COLUMNS", "100")
    assert main(["--workspace", str(workspace.root), "runs", "show", run_id]) == 0
    out = capsys.readouterr().out.splitlines()
    paths = next(i for i, line in enumerate(out) if line.startswith("  result.json"))  # whole paths
    assert max(map(display_width, out[:paths])) <= 100  # the config line alone was 318 columns
    config = [i for i, line in enumerate(out) if line.startswith("  config   ")]
    assert len(config) == 1 and out[config[0] : config[0] + 3] == [  # a setting a line (was 318 columns)
        "  config   source: mnist5k",
        " " * 11 + "target: digits",
        " " * 11 + "methods: im",
    ]
    title = out.index(next(line for line in out if line.startswith("  confusion on")))
    end = next(i for i in range(title, len(out)) if out[i].endswith("blocks)"))
    assert end == title + 1 and max(display_width(line) for line in out[title : end + 1]) <= 100  # prose
    title = end
    # a table is never wrapped: it fits the terminal in blocks of columns, each row whole on one line
    header, first = out[title + 1], out[title + 2]
    assert header.split()[:3] == ["#", "true", "0"] and first.split()[:4] == ["0", "category", "00", "-"]
    assert len(first.split()) == len(header.split()) + 5 and 90 < display_width(header) <= 100


def test_diagnose_wraps_its_readings_and_not_its_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    source, target = _clustered("s", (60, 20, 20, 20), 0), _clustered("t", (20, 20, 20, 60), 1, moved=1)
    report = diagnose(
        replace(source, classes=NAMES), replace(target, classes=NAMES), settings=FEW, umap=False
    )
    y = torch.arange(400) % 4
    logits = 10.0 * torch.nn.functional.one_hot(y, 4).double()
    est = estimate_label_shift(logits, y, logits, NAMES, settings=LabelShiftSettings(n_bootstrap=20))
    wide = [*format_report(report), *label_shift_lines(est)]
    monkeypatch.setenv("COLUMNS", "70")
    narrow = [*format_report(report), *label_shift_lines(est)]
    assert max(map(display_width, wide)) > 70 and len(narrow) > len(wide)
    tables = [line for line in wide if line.startswith("  ") and "  " in line.strip()]
    assert tables and all(line in narrow for line in tables if display_width(line) <= 70)
    assert all(display_width(line) <= 70 for line in narrow if line not in tables)
    assert " ".join(" ".join(narrow).split()) == " ".join(" ".join(wide).split())  # the same words
