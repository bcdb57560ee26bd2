"""skada's counterparts of tlcore's methods, run on the same arrays in the same process.

Deep methods (``SourceOnly``, ``DeepCoral``, ``DAN``, ``DANN``, ``CDAN``, ``MCC``) train tlcore's
own network (the one the run's config builds, :func:`tlcore.adapt.stages.network`) through skada's
skorch-based API, with the same batch size, learning rate, optimizer (Adam) and number of epochs,
and an epoch as long as tlcore's (one pass over the larger domain: ``iterator_train__max_samples="max"``,
skada's default; source batches only for ``SourceOnly``, one pass over the source as tlcore's baseline).
Each side keeps its own method defaults (loss weights, MCC's temperature: skada 1, tlcore 2.5 as in
the paper); skada's ``CDAN`` has no entropy conditioning, tlcore's ``cdan`` defaults to CDAN+E.
skada 0.6's default domain classifier outputs a constant (:func:`domain_classifier_probe`), so its
``DANN`` and ``CDAN`` also run with :func:`working_domain_classifier`, beside the defaults.
Shallow methods (``CORAL``, ``KMMReweight``) fit a logistic regression on PCA features of the
flattened inputs. Target labels are only used to score the held-out target test split.
"""

from __future__ import annotations

import importlib
import inspect
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import sklearn
import torch
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from torch import nn

PCA_DIM = 64
# tlcore method -> skada counterpart (the name skada gives it)
COUNTERPARTS = {
    "source_only": "SourceOnly",
    "deep_coral": "DeepCoral",
    "dan": "DAN",
    "dann": "DANN",
    "cdan": "CDAN",
    "mcc": "MCC",
    "coral": "CORAL",
    "kmm": "KMMReweight",
}
SHALLOW = ("CORAL", "KMMReweight")
# tlcore methods whose skada counterpart also runs with a working domain classifier: skada 0.6's
# default one outputs a constant (:func:`domain_classifier_probe`), :func:`working_domain_classifier`.
ADVERSARIAL = ("dann", "cdan")


@dataclass(frozen=True)
class TaskArrays:
    """One task's arrays: labelled source, unlabelled target train, labelled target test (scoring)."""

    Xs: np.ndarray
    ys: np.ndarray
    Xt: np.ndarray
    Xt_test: np.ndarray
    yt_test: np.ndarray
    n_classes: int


@dataclass(frozen=True)
class TrainBudget:
    """What both libraries get: epochs, batch size (per domain), learning rate, seed."""

    epochs: int
    batch_size: int
    lr: float
    seed: int


def availability() -> str:
    """``"ok"`` when skada (with skorch and its deep module) imports, else why not."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            importlib.import_module("skada.deep")
    except ModuleNotFoundError as exc:
        return "not installed" if exc.name in ("skada", "skorch") else f"import failed: {exc}"
    except ImportError as exc:
        return f"import failed: {exc}"
    return "ok"


class SkadaModule(nn.Module):
    """A tlcore ``Classifier`` as skada expects it: ``forward(X, sample_weight=None) -> logits``.

    The penultimate features pass through the identity layer ``features``, where skada's forward
    hook collects them for its adaptation losses.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.features = nn.Identity()

    def forward(self, X: torch.Tensor, sample_weight: torch.Tensor | None = None) -> torch.Tensor:
        logits, features = self.model(X)
        self.features(features)
        return logits


def working_domain_classifier(num_features: int) -> nn.Module:
    """skada's ``DomainClassifier`` (Linear 100, BatchNorm, ReLU, Linear 1, gradient reversal in front)
    with the sigmoid its BCE loss expects in place of its softmax over a single output."""
    from skada.deep.modules import DomainClassifier  # noqa: PLC0415 - optional benchmark-only dependency

    classifier = DomainClassifier(num_features=num_features)
    classifier.classifier[-1] = nn.Sigmoid()
    return classifier


def _deep(
    name: str,
    model: nn.Module,
    budget: TrainBudget,
    feature_dim: int,
    n_classes: int,
    *,
    working_classifier: bool,
) -> Any:
    from skada import deep  # noqa: PLC0415 - optional benchmark-only dependency

    common = {
        "layer_name": "features",
        "max_epochs": budget.epochs,
        "batch_size": budget.batch_size,
        "lr": budget.lr,
        "optimizer": torch.optim.Adam,
        "train_split": None,
        "device": "cpu",
        "verbose": 0,
    }
    module = SkadaModule(model)
    if name == "SourceOnly":  # source batches only, like tlcore's baseline
        return deep.SourceOnly(module, **common)
    common["iterator_train__max_samples"] = "max"
    if name == "DANN":
        classifier = working_domain_classifier(feature_dim) if working_classifier else None
        return deep.DANN(module, num_features=feature_dim, domain_classifier=classifier, **common)
    if name == "CDAN":
        # CDAN's classifier reads the features x predictions map, capped as skada caps it
        width = min(feature_dim * n_classes, inspect.signature(deep.CDAN).parameters["max_features"].default)
        classifier = working_domain_classifier(width) if working_classifier else None
        return deep.CDAN(
            module, num_features=feature_dim, n_classes=n_classes, domain_classifier=classifier, **common
        )
    return getattr(deep, name)(module, **common)


def run_deep(
    name: str,
    arrays: TaskArrays,
    budget: TrainBudget,
    new_model: Callable[[], nn.Module],
    *,
    working_classifier: bool = False,
) -> dict[str, Any]:
    """Train skada's deep method ``name`` on tlcore's network (DANN and CDAN with
    :func:`working_domain_classifier` when ``working_classifier``); accuracy, time and samples/s."""
    torch.manual_seed(budget.seed)
    np.random.seed(budget.seed)
    model = new_model()
    net = _deep(
        name,
        model,
        budget,
        int(model.feature_dim),
        arrays.n_classes,
        working_classifier=working_classifier,
    )
    X = np.concatenate([arrays.Xs, arrays.Xt]).astype(np.float32)
    y = np.concatenate([arrays.ys, np.full(len(arrays.Xt), -1)]).astype(np.int64)
    domain = np.r_[np.ones(len(arrays.Xs)), np.full(len(arrays.Xt), -2)].astype(np.int64)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net.fit({"X": X, "sample_domain": domain}, y)
    seconds = time.perf_counter() - start
    train_seconds = float(sum(net.history[:, "dur"]))
    source_only = name == "SourceOnly"
    steps = (len(arrays.Xs) if source_only else max(len(arrays.Xs), len(arrays.Xt))) // budget.batch_size
    per_step = 1 if source_only else 2  # batches per step: source (and target)
    samples = per_step * steps * budget.batch_size * budget.epochs
    target_domain = np.full(len(arrays.Xt_test), -2, dtype=np.int64)
    predicted = net.predict({"X": arrays.Xt_test.astype(np.float32), "sample_domain": target_domain})
    return {
        "accuracy": float((predicted == arrays.yt_test).mean()),
        "seconds": seconds,
        "samples_per_s": samples / train_seconds if train_seconds > 0 else None,
        "network": model.spec,
    }


def pca_features(arrays: TaskArrays, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flattened inputs reduced to ``PCA_DIM`` by a PCA fitted on source + target train (no labels)."""
    flat = [a.reshape(len(a), -1) for a in (arrays.Xs, arrays.Xt, arrays.Xt_test)]
    pca = PCA(n_components=min(PCA_DIM, flat[0].shape[1]), random_state=seed).fit(np.concatenate(flat[:2]))
    return tuple(pca.transform(f) for f in flat)  # type: ignore[return-value]


def run_shallow(name: str, arrays: TaskArrays, seed: int) -> dict[str, Any]:
    """skada's ``CORAL`` or ``KMMReweight`` + logistic regression on PCA features."""
    import skada  # noqa: PLC0415 - optional benchmark-only dependency

    Fs, Ft, Ft_test = pca_features(arrays, seed)
    X = np.concatenate([Fs, Ft])
    y = np.concatenate([arrays.ys, np.full(len(Ft), -1)])
    domain = np.r_[np.ones(len(Fs)), np.full(len(Ft), -2)].astype(np.int64)
    start = time.perf_counter()
    with sklearn.config_context(enable_metadata_routing=True), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = LogisticRegression(max_iter=1000).set_fit_request(sample_weight=True)
        pipeline = skada.CORAL(base) if name == "CORAL" else skada.KMMReweight(base)
        pipeline.fit(X, y, sample_domain=domain)
        predicted = pipeline.predict(Ft_test, sample_domain=np.full(len(Ft_test), -2, dtype=np.int64))
    return {
        "accuracy": float((predicted == arrays.yt_test).mean()),
        "seconds": time.perf_counter() - start,
        "samples_per_s": None,
    }


def domain_classifier_probe() -> dict[str, Any]:
    """What skada's default domain classifier (the one its ``DANN`` and ``CDAN`` build, seeded) does on
    a seeded random batch: its version, whether every output is the same (``constant_output``) and the
    norm of the gradient its DANN loss sends back to the features; the same for
    :func:`working_domain_classifier` under ``working``. Needs skada (:func:`availability`)."""
    import skada  # noqa: PLC0415 - optional benchmark-only dependency
    from skada.deep.modules import DomainClassifier  # noqa: PLC0415

    with torch.random.fork_rng(devices=[]):  # seeded initialisations: the same numbers every run
        torch.manual_seed(0)
        default = _probe(DomainClassifier(num_features=16))
        working = _probe(working_domain_classifier(16))
    return {"version": skada.__version__, **default, "working": working}


def _probe(classifier: nn.Module) -> dict[str, Any]:
    from skada.deep._adversarial import DANNLoss  # noqa: PLC0415 - optional benchmark-only dependency

    gen = torch.Generator().manual_seed(0)
    features = torch.randn(32, 16, generator=gen).requires_grad_(True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = classifier(features)
        DANNLoss()(scores[:16], scores[16:]).backward()
    return {
        "constant_output": bool(torch.all(scores == scores[0])),
        "output": float(scores[0].detach()),
        "feature_gradient_norm": float(features.grad.norm()) if features.grad is not None else 0.0,
    }


def run_counterpart(
    method: str,
    arrays: TaskArrays,
    budget: TrainBudget,
    new_model: Callable[[], nn.Module],
    *,
    working_classifier: bool = False,
) -> dict[str, Any]:
    """skada's counterpart of tlcore's ``method`` (see :data:`COUNTERPARTS`); for the
    :data:`ADVERSARIAL` ones with a working domain classifier when ``working_classifier``."""
    name = COUNTERPARTS[method]
    if name in SHALLOW:
        return run_shallow(name, arrays, budget.seed)
    return run_deep(name, arrays, budget, new_model, working_classifier=working_classifier)
