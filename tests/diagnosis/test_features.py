"""Raw features, batched model features, exact kNN and the seeded UMAP projection."""

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA
from torch import nn

from tlcore.errors import TLError
from tlcore.features import exact_knn, extract_features, model_outputs, raw_features, umap_projection

ROOT = Path(__file__).resolve().parents[2]


class _Tiny(nn.Module):
    """Returns ``(logits, features)``; records the mode it ran in."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(16, 6), nn.Dropout(0.5))
        self.head = nn.Linear(6, 3)
        self.modes: list[bool] = []

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        self.modes.append(self.training)
        features = self.body(x)
        return self.head(features), features


def test_raw_features_pca_on_pooled_domains_is_seeded():
    g = torch.Generator().manual_seed(0)
    Xs, Xt = torch.rand(60, 1, 4, 4, generator=g), torch.rand(40, 1, 4, 4, generator=g)
    Fs, Ft = raw_features(Xs, Xt, pca_dim=5, seed=1)
    assert Fs.shape == (60, 5) and Ft.shape == (40, 5) and Fs.dtype == torch.float32
    torch.testing.assert_close(torch.cat([Fs, Ft]).mean(0), torch.zeros(5), atol=1e-5, rtol=0)
    again = raw_features(Xs, Xt, pca_dim=5, seed=1)
    assert torch.equal(Fs, again[0]) and torch.equal(Ft, again[1])


def test_fewer_samples_than_dimensions_get_the_exact_pca_without_the_covariance(monkeypatch):
    """40 colour images of 3 x 8 x 8: the components the 192 x 192 covariance's eigendecomposition
    gives, taken from the SVD of the 40 samples (a 3 x 32 x 32 pair's 3072 x 3072 one took 3 s)."""
    g = torch.Generator().manual_seed(0)
    Xs, Xt = torch.rand(24, 3, 8, 8, generator=g), torch.rand(16, 3, 8, 8, generator=g)
    pooled = torch.cat([Xs, Xt]).flatten(1).double().numpy()
    expected = PCA(n_components=5, svd_solver="covariance_eigh").fit(pooled).transform(pooled)
    eigh, sizes = np.linalg.eigh, []
    monkeypatch.setattr(np.linalg, "eigh", lambda a, *args: (sizes.append(a.shape), eigh(a, *args))[1])
    Fs, Ft = raw_features(Xs, Xt, pca_dim=5)
    assert sizes == []  # no D x D eigendecomposition
    expected = torch.from_numpy(expected).float()
    torch.testing.assert_close(torch.cat([Fs, Ft]), expected, atol=1e-5, rtol=0)


def test_raw_features_without_pca_flatten_images_and_standardise_vectors():
    Xs, Xt = torch.rand(10, 1, 3, 3), torch.rand(8, 1, 3, 3)
    Fs, _ = raw_features(Xs, Xt, pca_dim=None)
    torch.testing.assert_close(Fs, Xs.flatten(1))
    vs, vt = torch.randn(30, 4) * 100 + 5, torch.randn(20, 4)
    Fs, Ft = raw_features(vs, vt, pca_dim=None)
    pooled = torch.cat([Fs, Ft]).double()
    torch.testing.assert_close(pooled.mean(0), torch.zeros(4, dtype=torch.float64), atol=1e-5, rtol=0)
    torch.testing.assert_close(
        pooled.std(0, unbiased=False), torch.ones(4, dtype=torch.float64), atol=1e-5, rtol=0
    )
    with pytest.raises(TLError):
        raw_features(torch.rand(5, 4), torch.rand(5, 3))


def test_model_outputs_are_batched_in_eval_mode_and_restore_the_mode():
    model = _Tiny().train()
    X = torch.rand(25, 1, 4, 4)
    logits, features = model_outputs(model, X, batch_size=10, device="cpu")
    assert logits.shape == (25, 3) and features.shape == (25, 6)
    assert model.modes == [False, False, False] and model.training
    torch.testing.assert_close(extract_features(model, X, batch_size=7, device="cpu"), features)


def test_exact_knn_matches_brute_force():
    Z = torch.randn(50, 3)
    idx, dist = exact_knn(Z, 4, block_size=16)
    d = ((Z[:, None] - Z[None]) ** 2).sum(-1).sqrt().numpy()
    assert (idx[:, 0] == np.arange(50)).all()
    np.testing.assert_allclose(dist, np.sort(d, axis=1)[:, :4], atol=1e-4)


@pytest.mark.slow  # umap-learn compiles its numba code once per process (~10 s)
def test_umap_shapes_cap_and_determinism():
    g = torch.Generator().manual_seed(0)
    Fs, Ft = torch.randn(80, 5, generator=g), torch.randn(30, 5, generator=g) + 3
    result = umap_projection(Fs, Ft, max_per_domain=50, seed=2, n_epochs=50)
    assert result.coords_source.shape == (50, 2) and result.coords_target.shape == (30, 2)
    assert len(set(result.index_source.tolist())) == 50 and (np.diff(result.index_source) > 0).all()
    assert (result.index_target == np.arange(30)).all()
    again = umap_projection(Fs, Ft, max_per_domain=50, seed=2, n_epochs=50)
    np.testing.assert_array_equal(result.coords_source, again.coords_source)
    np.testing.assert_array_equal(result.index_source, again.index_source)


PROJECT_AND_REPORT = """
import json, torch
from tlcore.features import cache_umap_kernels, umap_projection
g = torch.Generator().manual_seed(0)
result = umap_projection(torch.randn(40, 5, generator=g), torch.randn(40, 5, generator=g), n_epochs=20)
stats = [k.stats for k in cache_umap_kernels()]
print(json.dumps({
    "hits": sum(sum(s.cache_hits.values()) for s in stats),
    "misses": sum(sum(s.cache_misses.values()) for s in stats),
    "kernels": len(stats),
    "coords": result.coords_source.tolist(),
}))
"""


@pytest.mark.slow  # two fresh interpreters
def test_a_later_process_loads_the_umap_kernels_instead_of_compiling_them() -> None:
    """The first process compiles the kernels unless an earlier one did (numba's default cache folder,
    as in use); the next one must load all three from disk and draw the same picture."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", PROJECT_AND_REPORT]
    first, second = (
        json.loads(subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout)
        for _ in range(2)
    )
    assert first["kernels"] == second["kernels"] == 3
    assert first["hits"] + first["misses"] == 3  # each kernel compiled or loaded, once
    assert second["misses"] == 0 and second["hits"] == 3  # loaded, nothing compiled
    assert first["coords"] == second["coords"]  # the cached code gives the same picture


def test_umap_keeps_torch_thread_count():
    """numba's OpenMP layer resets torch's thread count; a run after a UMAP must train with the same
    threads as before it, or the same seed gives other numbers in the same process."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        g = torch.Generator().manual_seed(0)
        umap_projection(torch.randn(30, 5, generator=g), torch.randn(30, 5, generator=g), n_epochs=10)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_blank_images_project_to_zero_without_a_warning():
    blank = torch.zeros(6, 1, 8, 8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scikit-learn divides by the zero total variance
        fs, ft = raw_features(blank, blank[:4], pca_dim=3)
    assert fs.shape == (6, 3) and ft.shape == (4, 3)
    assert not fs.any() and not ft.any()
