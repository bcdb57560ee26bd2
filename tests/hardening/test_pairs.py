"""Where two are needed: every pair needs two samples per domain; the domain classifier needs both domains.

Every engine entry point that takes a pair (the ``diagnose`` and ``adapt`` commands, the app) goes
through :func:`tlcore.data.harmonise`, which enforces the first rule; the proxy A-distance enforces
the second. A one-sample file is a valid domain on its own (``data inspect`` shows it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from tlcore.cli import main
from tlcore.data import Domain, harmonise, read_path
from tlcore.errors import TLError
from tlcore.metrics.a_distance import proxy_a_distance


def domain(n: int, classes: tuple[str, ...] = ("a", "b"), name: str = "d") -> Domain:
    y = torch.arange(n) % len(classes)
    return Domain(name, torch.rand(n, 3, generator=torch.Generator().manual_seed(n)), y, classes)


@pytest.mark.parametrize(
    ("n_source", "n_target", "side"), [(1, 5, "source"), (5, 1, "target"), (5, 0, "target")]
)
def test_harmonise_needs_two_samples_per_domain(n_source: int, n_target: int, side: str) -> None:
    with pytest.raises(TLError, match=f"the {side} d has {min(n_source, n_target)} samples?; .* at least 2"):
        harmonise(domain(n_source), domain(n_target))


def test_two_samples_remain_after_unknown_classes_are_dropped() -> None:
    target = domain(3, classes=("a", "zebra", "okapi"))  # one sample of a class the source knows
    with pytest.raises(TLError, match="the target d \\(samples of classes the source knows\\) has 1 sample;"):
        harmonise(domain(6), target)
    source, kept = harmonise(domain(6), domain(6, classes=("a", "zebra")))
    assert kept.n_samples == 3 and source.n_samples == 6


def test_diagnose_command_refuses_a_one_sample_domain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = np.random.default_rng(0).normal(size=(6, 2))
    (tmp_path / "many.csv").write_text("a,b\n" + "\n".join(f"{x:.3f},{y:.3f}" for x, y in rows) + "\n")
    (tmp_path / "one.csv").write_text("a,b\n1.0,2.0\n")
    assert read_path(tmp_path / "one.csv").n_samples == 1
    argv = ["--workspace", str(tmp_path / "ws"), "diagnose", "--source", str(tmp_path / "many.csv")]
    code = main([*argv, "--target", str(tmp_path / "one.csv"), "--no-umap"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "one.csv has 1 sample; comparing or adapting a pair needs at least 2 per domain" in err


def test_the_domain_classifier_needs_both_domains() -> None:
    with pytest.raises(TLError, match="at least 2 samples per domain"):
        proxy_a_distance(torch.rand(10, 3), torch.rand(0, 3))
    with pytest.raises(TLError, match="at least 2 samples per domain"):
        proxy_a_distance(torch.rand(10, 3), torch.rand(1, 3))
