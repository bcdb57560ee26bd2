"""Both label-shift estimates on weighted resamples, and the seeded bootstrap that draws them.

A resample of ``n`` samples drawn with replacement is a weight vector, each sample's multiplicity over
``n`` (:func:`resample_weights`); the plain estimate is the uniform one, ``1 / n`` each.
:class:`WeightedEstimates` computes, for ``R`` weight vectors of the labelled source validation split
and of the target at once (``R x N_v`` and ``R x N_t``), the source priors of each validation resample,
EM on (optionally BCTS-calibrated) outputs and BBSE (:mod:`tlcore.metrics.priors` for their formulas);
:meth:`WeightedEstimates.bootstrap` draws seeded resamples of both samples, in chunks of at most
:data:`MAX_CHUNK` resamples x target samples x classes; :meth:`WeightedEstimates.null_tv` draws
targets of the same size from the source validation split instead, for the estimate's test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch
from torch.nn.functional import one_hot

from tlcore.data.rng import generator
from tlcore.metrics import priors

MAX_CHUNK = 2**22  # resamples x samples x classes per bootstrap chunk (32 MiB of float64)


def _chunks(total: int, size: int) -> Iterator[slice]:
    for start in range(0, total, size):
        yield slice(start, min(start + size, total))


def resample_weights(n: int, count: int, gen: torch.Generator, size: int | None = None) -> torch.Tensor:
    """``count x n`` bootstrap weights: multiplicities of ``size`` (default ``n``) draws with
    replacement from ``n`` samples, over ``size``."""
    size = n if size is None else size
    draws = torch.randint(n, (count, size), generator=gen)
    return torch.zeros(count, n, dtype=torch.float64).scatter_add_(
        1, draws, torch.full(draws.shape, 1.0 / size, dtype=torch.float64)
    )


class WeightedEstimates:
    """Both estimates for weighted resamples of the validation split (``logits_val`` ``N_v x K``,
    ``y_val``) and the target (``logits_target`` ``N_t x K``): BCTS calibration for EM when
    ``calibrate``, EM's stopping rule ``tol`` / ``max_iter``."""

    def __init__(
        self,
        logits_val: torch.Tensor,
        y_val: torch.Tensor,
        logits_target: torch.Tensor,
        *,
        calibrate: bool,
        tol: float,
        max_iter: int,
    ) -> None:
        self.Lv, self.yv, self.Lt = logits_val.double().cpu(), y_val.cpu(), logits_target.double().cpu()
        self.calibrate, self.tol, self.max_iter = calibrate, tol, max_iter
        self.k = k = self.Lv.shape[1]
        self.pairs = one_hot(self.Lv.argmax(1) * k + self.yv, k * k).double()
        self.predicted = one_hot(self.Lt.argmax(1), k).double()

    def __call__(self, w_val: torch.Tensor, w_target: torch.Tensor) -> dict[str, Any]:
        """For ``R`` resamples (``w_val`` ``R x N_v``, ``w_target`` ``R x N_t``): ``source`` (``R x K``
        validation priors), ``em`` (``R x K``) with its ``steps`` and ``converged``, ``bbse`` (``R x
        K``) with its confusion matrices ``C``, and the calibration's ``scale`` and ``bias`` (None
        without)."""
        source = w_val @ one_hot(self.yv, self.k).double()  # R x K: π_s of each validation resample
        scale, bias = None, None
        if self.calibrate:
            scale, bias = priors.bcts(self.Lv, self.yv, w_val)
            probs = (scale[:, None, None] * self.Lt + bias[:, None, :]).softmax(2)
        else:
            probs = self.Lt.softmax(1).expand(len(w_val), -1, -1)
        em, steps, converged = priors.em(probs, source, w_target, self.tol, self.max_iter)
        bbse, C = priors.bbse(self.pairs, self.predicted, w_val, w_target)
        return {
            "source": source,
            "em": em,
            "steps": steps,
            "converged": converged,
            "bbse": bbse,
            "C": C,
            "scale": scale,
            "bias": bias,
        }

    def point(self) -> dict[str, Any]:
        """The estimates on the samples as they are (uniform weights: one resample, ``R = 1``)."""
        n_v, n_t = len(self.yv), len(self.Lt)
        uniform_v = torch.full((1, n_v), 1.0 / n_v, dtype=torch.float64)
        return self(uniform_v, torch.full((1, n_t), 1.0 / n_t, dtype=torch.float64))

    def null_tv(self, name: str, n_target: int, count: int, seed: int) -> torch.Tensor:
        """``count`` total variations of estimator ``name`` from the validation priors when the target
        is the source: each a target of ``n_target`` samples drawn with replacement from the validation
        split, the split itself resampled too (what the estimate reads from sampling noise alone at
        this target size; the draws overlap the split that calibrates, which makes the spread a little
        small when the target is as large as the split)."""
        null = WeightedEstimates(
            self.Lv, self.yv, self.Lv, calibrate=self.calibrate, tol=self.tol, max_iter=self.max_iter
        )
        gen = generator(seed, "label_shift_null")
        w_val = resample_weights(len(self.yv), count, gen)
        w_target = resample_weights(len(self.yv), count, gen, size=n_target)
        size = max(1, MAX_CHUNK // (len(self.yv) * self.k))
        parts = [null(w_val[part], w_target[part]) for part in _chunks(count, size)]
        return torch.cat([0.5 * (p[name] - p["source"]).abs().sum(1) for p in parts])

    def bootstrap(self, n_bootstrap: int, seed: int) -> dict[str, torch.Tensor]:
        """``em`` and ``bbse`` priors of ``n_bootstrap`` seeded resamples (each ``B x K``)."""
        gen = generator(seed, "label_shift_bootstrap")
        w_val = resample_weights(len(self.yv), n_bootstrap, gen)
        w_target = resample_weights(len(self.Lt), n_bootstrap, gen)
        size = max(1, MAX_CHUNK // (len(self.Lt) * self.k))
        parts = [self(w_val[part], w_target[part]) for part in _chunks(n_bootstrap, size)]
        return {key: torch.cat([p[key] for p in parts]) for key in ("em", "bbse")}
