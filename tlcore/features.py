"""Feature spaces for the diagnosis and their 2-D picture.

Raw inputs (flattened, PCA-reduced) or any model's penultimate layer; a joint UMAP projection of
source and target features.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

from tlcore.data.domain import Domain
from tlcore.data.harmonise import misfit
from tlcore.device import pick_device
from tlcore.diagnosis_settings import PCA_DIM, UMAP_POINTS
from tlcore.errors import TLError
from tlcore.metrics.kernels import sq_distances

MAX_COVARIANCE_DIM = 4096  # exact PCA via the D x D covariance up to here (128 MiB in float64)


@dataclass(frozen=True)
class UMAPResult:
    """2-D coordinates of the projected samples and their indices into the source/target features."""

    coords_source: np.ndarray  # k_s x 2 float32
    coords_target: np.ndarray  # k_t x 2 float32
    index_source: np.ndarray  # k_s int64, sorted
    index_target: np.ndarray  # k_t int64, sorted


class DomainModels(nn.Module):
    """A run's model and the one that reads its source inputs, both returning ``(logits, features)``:
    ``target`` (``forward``: any input not from the source) and ``source`` (AdaBN: the same weights
    with the source's batch-normalisation statistics, :func:`tlcore.checkpoints.load_source_model`)."""

    def __init__(self, source: nn.Module, target: nn.Module) -> None:
        super().__init__()
        self.source, self.target = source, target
        self.classes: tuple[str, ...] = tuple(getattr(target, "classes", ()) or ())  # its outputs'

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.target(x)


def domain_models(model: nn.Module) -> tuple[nn.Module, nn.Module]:
    """The models that read source and target inputs: a :class:`DomainModels`' two, else ``model`` twice."""
    return (model.source, model.target) if isinstance(model, DomainModels) else (model, model)


def _subsample(n: int, cap: int | None, rng: np.random.Generator) -> np.ndarray:
    """Sorted indices of a uniform subsample of ``min(n, cap)`` out of ``n`` (all when ``cap`` is None)."""
    if cap is None or n <= cap:
        return np.arange(n)
    return np.sort(rng.choice(n, size=cap, replace=False))


def raw_width(width: int, samples: int, pca_dim: int | None) -> int:
    """The width of :func:`raw_features` of ``samples`` pooled inputs of ``width`` numbers each."""
    return width if pca_dim is None else min(pca_dim, width, samples)


def raw_features(
    Xs: torch.Tensor,
    Xt: torch.Tensor,
    pca_dim: int | None = PCA_DIM,
    seed: int = 0,
    max_fit_samples: int = 20000,
    *,
    exact: bool = True,
    scale: Literal["pooled", "source"] = "pooled",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Raw-input features of both domains: flatten, (vectors only) standardise, PCA to ``pca_dim``.

    Images (``N x C x H x W``, all pixels on one [0, 1] scale) are only flattened; feature vectors
    (``N x D``, columns in arbitrary units) are standardised with the mean and (population) standard
    deviation of both domains pooled, or with ``scale="source"`` of the source alone: the units a
    model trained on the source reads (:class:`tlcore.models.Standardize`), where a target column far
    beyond the source's range stays far (pooled, such a column's spread would swamp the source's).
    PCA (scikit-learn) is fitted on the pooled source + target samples, a seeded subsample of
    ``max_fit_samples`` when there are more, and applied to all samples: exact (eigen-
    decomposition of the covariance, or the SVD of the centred samples when they number less than
    half the dimensions: the same components) up to ``MAX_COVARIANCE_DIM`` input dimensions, randomized
    SVD with ``random_state=seed`` above, or at any width with ``exact=False`` (for cheap repeated
    measurements: the eigendecomposition costs more than a small gap). ``pca_dim=None``, or at least
    the input width, skips the PCA. Returns float32 tensors ``n x k`` and ``m x k`` on the CPU.
    """
    if Xs.shape[1:] != Xt.shape[1:]:
        raise TLError(
            f"source and target samples differ in shape: {tuple(Xs.shape[1:])} vs {tuple(Xt.shape[1:])}"
        )
    pooled = torch.cat([Xs.flatten(1), Xt.flatten(1)]).detach().cpu().double().numpy()
    if Xs.ndim == 2:
        fit = pooled[: len(Xs)] if scale == "source" else pooled
        std = fit.std(0)
        pooled = (pooled - fit.mean(0)) / np.where(std > 0, std, 1.0)
    k = raw_width(pooled.shape[1], len(pooled), pca_dim)
    if k < pooled.shape[1]:
        fit = pooled[_subsample(len(pooled), max_fit_samples, np.random.default_rng(seed))]
        if not exact or pooled.shape[1] > MAX_COVARIANCE_DIM:
            solver = "randomized"
        else:  # exact: the SVD of n samples, O(n^2 D), beats the covariance's O(D^3) eigh for n < D / 2
            solver = "full" if 2 * len(fit) < pooled.shape[1] else "covariance_eigh"
        if np.ptp(fit, axis=0).any():
            from sklearn.decomposition import PCA  # noqa: PLC0415 - scipy.stats and scikit-learn: 0.7 s of the app's start

            pooled = PCA(n_components=k, svd_solver=solver, random_state=seed).fit(fit).transform(pooled)
        else:  # every fitted sample is the same (blank images): each projects to 0, as PCA would say
            pooled = np.zeros((len(pooled), k))
    out = torch.from_numpy(pooled.astype(np.float32))
    return out[: len(Xs)], out[len(Xs) :]


@torch.no_grad()
def model_outputs(
    model: nn.Module, X: torch.Tensor, batch_size: int = 512, device: str | torch.device | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(logits, features)`` of a model whose forward returns ``(logits, features)``, on the CPU.

    Runs in eval mode (the previous mode is restored) and without gradients, ``batch_size`` samples
    at a time on ``device`` (default :func:`tlcore.device.pick_device`: CUDA when available); the
    model is moved there with ``model.to(device)``.
    """
    target = pick_device(device)
    was_training = model.training
    model.to(target).eval()
    logits, features = [], []
    try:
        for start in range(0, len(X), batch_size):
            out_logits, out_features = model(X[start : start + batch_size].to(target))
            logits.append(out_logits.float().cpu())
            features.append(out_features.flatten(1).float().cpu())
    finally:
        model.train(was_training)
    if not features:
        raise TLError("cannot extract features from an empty domain")
    return torch.cat(logits), torch.cat(features)


def extract_features(
    model: nn.Module, X: torch.Tensor, batch_size: int = 512, device: str | torch.device | None = None
) -> torch.Tensor:
    """Penultimate-layer features ``N x F`` (float32, CPU) of ``model``; see :func:`model_outputs`."""
    return model_outputs(model, X, batch_size, device)[1]


def pair_features(
    source: Domain,
    target: Domain,
    features: str | nn.Module,
    *,
    pca_dim: int | None,
    seed: int,
    device: str | None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, str]:
    """Source features, target features, target logits (models only) and the space's name:
    ``"raw"`` (:func:`raw_features`) or a model returning ``(logits, features)`` (:func:`model_outputs`;
    of a :class:`DomainModels` its ``target`` embeds both domains, as a run's gap is measured:
    :mod:`tlcore.adapt.evaluate` says why)."""
    if isinstance(features, nn.Module):
        model = domain_models(features)[1]
        problem = misfit(target, _input_shape(model, target), (), "the model")
        if problem:
            raise TLError(f"the model cannot embed the pair: {problem}")
        _, Fs = model_outputs(model, source.X, device=device)
        logits, Ft = model_outputs(model, target.X, device=device)
        return Fs, Ft, logits, "model"
    if features != "raw":
        raise TLError(f"unknown feature space {features!r}: use 'raw' or pass a model")
    Fs, Ft = raw_features(source.X, target.X, pca_dim=pca_dim, seed=seed)
    return Fs, Ft, None, "raw" if Fs.shape[1] == source.X[0].numel() else f"raw-pca{Fs.shape[1]}"


def _input_shape(model: nn.Module, domain: Domain) -> tuple[int, ...]:
    """The sample shape ``model`` was built for (a :class:`~tlcore.models.Classifier`'s spec); the
    domain's for a model that does not say."""
    spec = getattr(model, "spec", None)
    return tuple(spec["input_shape"]) if isinstance(spec, dict) and "input_shape" in spec else domain.shape


def exact_knn(Z: torch.Tensor, k: int, block_size: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Exact ``k`` nearest neighbours of every row of ``Z`` among all rows (itself first, distance 0).

    Returns ``N x k`` int64 indices and float32 Euclidean distances, computed ``block_size`` rows at
    a time from one matmul each (:func:`tlcore.metrics.kernels.sq_distances`).
    """
    indices, distances = [], []
    for start in range(0, len(Z), block_size):
        D = sq_distances(Z[start : start + block_size], Z)
        D[torch.arange(len(D)), torch.arange(start, start + len(D))] = -1.0  # self first
        d, i = D.topk(k, dim=1, largest=False)
        indices.append(i)
        distances.append(d.clamp_min_(0.0).sqrt_())
    return torch.cat(indices).numpy(), torch.cat(distances).numpy()


@functools.cache
def cache_umap_kernels() -> tuple[Any, ...]:
    """Keep the numba kernels that :func:`umap_projection` compiles on disk (once per process), so only
    the first process pays their just-in-time compilation (seconds on 2 cores), not every diagnosis,
    run and sweep trial. umap-learn compiles them without numba's ``cache=True``; numba's
    ``enable_caching`` adds it (files in umap's ``__pycache__``, else numba's user-wide cache folder).
    Only the serial layout kernel: its parallel twin shares its Python function, hence its cache files.
    Returns the kernels (numba dispatchers), none without a writable cache folder.
    """
    from umap import layouts, umap_  # noqa: PLC0415 - umap-learn takes seconds to import

    kernels = (
        umap_.smooth_knn_dist,
        umap_.compute_membership_strengths,
        layouts._nb_optimize_layout_euclidean_single_epoch,  # the one fit() calls with n_jobs=1
    )
    try:
        for kernel in kernels:
            kernel.enable_caching()
    except RuntimeError:  # numba: "cannot cache function ...: no locator available"
        return ()
    return kernels


def umap_projection(
    Fs: torch.Tensor | np.ndarray,
    Ft: torch.Tensor | np.ndarray,
    *,
    max_per_domain: int | None = UMAP_POINTS,
    seed: int = 0,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    n_epochs: int = 200,
) -> UMAPResult:
    """Joint 2-D UMAP (McInnes et al. 2018) of source and target features, deterministic for ``seed``.

    Each domain is capped at ``max_per_domain`` samples by a seeded uniform subsample (``None``: no
    cap); both are embedded by one fit with ``random_state=seed`` (which makes umap-learn run
    single-threaded) on the exact ``n_neighbors`` graph from :func:`exact_knn` (faster here than
    umap-learn's approximate search and its just-in-time compilation). The indices say which
    samples were projected. ``n_epochs=200`` is umap-learn's own choice for data over 10k samples.
    """
    import umap  # noqa: PLC0415 - umap-learn (numba) takes seconds to import; only needed here

    cache_umap_kernels()
    rng = np.random.default_rng(seed)
    Fs_np, Ft_np = (np.asarray(f.detach().cpu() if isinstance(f, torch.Tensor) else f) for f in (Fs, Ft))
    index_source = _subsample(len(Fs_np), max_per_domain, rng)
    index_target = _subsample(len(Ft_np), max_per_domain, rng)
    pooled = np.concatenate([Fs_np[index_source], Ft_np[index_target]]).astype(np.float32)
    if len(pooled) < 4:
        raise TLError(f"UMAP needs at least 4 samples, got {len(pooled)}")
    k = min(n_neighbors, len(pooled) - 1)
    reducer = umap.UMAP(
        n_components=2,
        n_neighbors=k,
        min_dist=min_dist,
        n_epochs=n_epochs,
        random_state=seed,
        n_jobs=1,
        precomputed_knn=(*exact_knn(torch.from_numpy(pooled), k), None),
    )
    threads = torch.get_num_threads()  # numba's OpenMP layer, shared with torch, resets it to the cores
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "no search index": we never call transform
            coords = reducer.fit_transform(pooled).astype(np.float32)
    finally:
        torch.set_num_threads(threads)
    return UMAPResult(
        coords_source=coords[: len(index_source)],
        coords_target=coords[len(index_source) :],
        index_source=index_source,
        index_target=index_target,
    )
