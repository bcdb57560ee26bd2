"""A run's gap compares the two domains embedded by one model. AdaBN scores each domain with its own
BatchNorm statistics; measured so, the proxy A-distance tells apart two samples of one distribution
(each domain's own affine map puts its features apart along directions in which neither varies), so
the gap after embeds both with the adapted model."""

import io

import numpy as np
import pytest

from tlcore.adapt import evaluate as evaluate_stage
from tlcore.adapt.cache import BaselineCache
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.pair import load_run_pair
from tlcore.adapt.pipeline import run_adaptation
from tlcore.data import save_upload
from tlcore.features import model_outputs
from tlcore.metrics.a_distance import proxy_a_distance
from tlcore.workspace import Workspace


def _npz(X: np.ndarray, y: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, X=X.astype(np.float32), y=y.astype(np.int64))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def no_shift(tmp_path_factory) -> tuple[Workspace, AdaptConfig]:
    """Source and target: two samples of one distribution (three blobs in 5 columns)."""
    rng = np.random.default_rng(0)
    workspace = Workspace.resolve(tmp_path_factory.mktemp("no_shift"))
    names = []
    for name, n in (("same_source.npz", 600), ("same_target.npz", 400)):
        y = rng.integers(0, 3, n)
        names.append(save_upload(workspace, name, _npz(rng.normal(size=(n, 5)) + 1.5 * y[:, None], y)))
    return workspace, AdaptConfig(
        source=f"upload:{names[0]}", target=f"upload:{names[1]}", methods=("adabn",)
    )


def test_adabn_on_one_distribution_leaves_no_gap_after(no_shift, monkeypatch):
    monkeypatch.setattr(evaluate_stage, "UMAP_MAX_PER_DOMAIN", 30)
    workspace, cfg = no_shift
    adapted = run_adaptation(cfg, workspace, baseline_cache=BaselineCache())
    pair = load_run_pair(cfg, workspace)
    assert adapted.source_model is not None  # the source statistics score the source
    per_domain = proxy_a_distance(
        model_outputs(adapted.source_model, pair.source_val.X, device="cpu")[1],
        model_outputs(adapted.model, pair.target_test.X, device="cpu")[1],
    )
    assert per_domain.a_distance > 1.5  # each domain with its own statistics: told apart
    one_model = proxy_a_distance(
        model_outputs(adapted.model, pair.source_val.X, device="cpu")[1],
        model_outputs(adapted.model, pair.target_test.X, device="cpu")[1],
    )
    assert adapted.gap_after.a_distance == pytest.approx(one_model.a_distance)
    assert adapted.gap_after.a_distance < 0.5
    assert adapted.gap_before.a_distance < 0.5
