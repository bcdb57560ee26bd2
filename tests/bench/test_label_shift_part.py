"""The bench's label-shift part without training: targets drawn with known proportions, the target
row."""

import torch

from bench.label_shift import draw_with_proportions
from bench.report import _updates
from bench.report_diagnosis import label_shift_section
from bench.targets import label_shift_tv
from tlcore.data.domain import Domain


def test_a_drawn_target_follows_the_proportions_and_is_as_large_as_they_allow():
    pool = Domain("pool", torch.zeros(300, 2), torch.arange(300) % 3, ("a", "b", "c"))  # 100 per class
    target = draw_with_proportions(pool, torch.tensor([0.5, 0.3, 0.2]), seed=0)
    assert target.class_counts() == {"a": 100, "b": 60, "c": 40}
    again = draw_with_proportions(pool, torch.tensor([5.0, 3.0, 2.0]), seed=0)
    assert torch.equal(target.X, again.X) and torch.equal(target.y, again.y)


def _row(profile: str, em: float, bbse: float, source: str = "digits", target: str = "digits") -> dict:
    return {
        "source": source,
        "target": target,
        "profile": profile,
        "em_tv_to_truth": em,
        "bbse_tv_to_truth": bbse,
    }


def test_the_target_row_judges_the_worst_imbalanced_digits_target():
    rows = [_row("long tail x10", 0.03, 0.04), _row("balanced (no shift)", 0.2, 0.2)]
    rows.append(_row("long tail x10", 0.3, 0.3, source="mnist5k"))  # covariate shift: not judged
    met = label_shift_tv({"rows": rows, "seeds": [0], "epochs": 10})
    assert met["status"] == "met" and met["measured"] == "worst of 1 targets: EM 0.030, BBSE 0.040"
    missed = label_shift_tv({"rows": [*rows, _row("one class 50%", 0.02, 0.06)], "seeds": [0], "epochs": 10})
    assert missed["status"] == "missed"
    assert label_shift_tv({})["status"] == "not measured"


def test_the_report_names_each_update_and_renders_the_rows():
    update = {"command": "c", "parts": ["label_shift"], "date": "d", "seconds": 1.0}
    update["load"] = [[1, 1, 1], [2, 2, 2]]
    assert _updates({"updates": [update]}) == [
        "Updated by `c` (parts label_shift; d; 1.00 s; load average 1.00 / 1.00 / 1.00 at start).\n"
    ]
    assert _updates({}) == []
    row = _row("one class 50%", 0.031, 0.042) | {"n_target": 170, "true_tv": 0.42}
    row |= {"source_only_accuracy": 0.95, "corrected_accuracy": 0.97}
    row["runs"] = [{"consistent": True}, {"consistent": False}]
    lines = label_shift_section({"rows": [row], "seeds": [0, 1], "epochs": 10})
    assert lines[0] == "## Label shift"
    assert "| digits → digits | one class 50% | 170 | 0.420 | 0.031 | 0.042 | 1 of 2 | 95.0 | 97.0 |" in lines
