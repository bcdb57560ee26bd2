"""Every method's hyper-parameters, without torch: one frozen dataclass per method (fields, defaults,
``Literal`` choices, the ``check`` of their values), declared for its method in
:mod:`tlcore.method_table`; the method's module (:mod:`tlcore.methods`) builds from an instance.
``python -m tlcore methods``, a run's config check and the Adapt form read them before torch loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tlcore.errors import TLError
from tlcore.limits import Limits, env_var

FeatureSpace = Literal["model", "raw"]  # where source weights are computed (WeightsContext.features)
Layer = Literal["features", "logits"]  # which layer's covariances Deep CORAL aligns


def check_widths(method: str, **widths: int) -> None:
    """Refuse a layer width outside ``1..max_layer_width`` (:mod:`tlcore.limits`), e.g.
    ``check_widths("dann", hidden=1024)``: a huge one would fail the run allocating it."""
    limit = Limits.from_env("max_layer_width").max_layer_width
    for name, width in widths.items():
        if not 1 <= width <= limit:
            var = env_var("max_layer_width")
            raise TLError(f"{method}: {name} must lie in 1..{limit} (the limit is {var}), got {width}")


def require(method: str, name: str, value: float, ok: bool, rule: str) -> None:
    """Refuse a parameter value outside its range in one line naming all three, e.g.
    ``require("dann", "gamma", -5.0, gamma > 0, "be > 0")`` -> ``dann: gamma must be > 0, got -5.0``
    (write ``ok`` so that NaN fails it: ``x > 0``, not ``not x <= 0``)."""
    if not ok:
        raise TLError(f"{method}: {name} must {rule}, got {value}")


@dataclass(frozen=True)
class NoParams:
    """A method without hyper-parameters."""


@dataclass(frozen=True)
class FinetuneParams:
    mode: Literal["head", "all"] = "all"
    shots: int = 10  # labelled target samples per class (overridden by AdaptConfig.target_labels)
    backbone_lr_mult: float = 0.1  # mode "all": backbone learning rate = lr * this

    def check(self) -> None:
        require("finetune", "shots", self.shots, self.shots >= 1, "be >= 1")
        rule = "be > 0 (use mode=head to freeze the backbone)"
        require("finetune", "backbone_lr_mult", self.backbone_lr_mult, self.backbone_lr_mult > 0, rule)


@dataclass(frozen=True)
class LabelledTargetParams:
    shots: int = 10  # labelled target samples per class (overridden by AdaptConfig.target_labels)

    def check(self) -> None:
        require("labelled_target", "shots", self.shots, self.shots >= 1, "be >= 1")


@dataclass(frozen=True)
class DomainWeightsParams:
    features: FeatureSpace = "model"  # "model": source-only baseline features | "raw": raw inputs (PCA)
    C: float = 0.01  # inverse L2 strength of the logistic regression (small: smooth probabilities)
    clip: float = 5.0  # largest weight (the mean is 1)
    per_class: bool = True  # normalise within each source class (keeps the class priors)
    folds: int = 2  # cross-fitting folds

    def check(self) -> None:
        require("domain_weights", "clip", self.clip, self.clip > 1, "be > 1 (the weights' mean is 1)")
        require("domain_weights", "C", self.C, self.C > 0, "be > 0")
        require("domain_weights", "folds", self.folds, self.folds >= 2, "be >= 2")


@dataclass(frozen=True)
class KMMParams:
    features: FeatureSpace = "model"  # "model": source-only baseline features | "raw": raw inputs (PCA)
    B: float = 3.0  # upper bound of each weight (small: keeps the effective sample size up)
    eps: float = -1.0  # slab half-width relative to n_s; < 0: (sqrt(n_s) - 1) / sqrt(n_s)
    max_samples: int = 1000  # chunk size (source) and target subsample
    iterations: int = 300
    per_class: bool = True  # rescale to mean 1 within each source class (keeps the class priors)

    def check(self) -> None:
        require("kmm", "B", self.B, self.B > 1, "be > 1 (the weights' mean is 1)")
        require("kmm", "max_samples", self.max_samples, self.max_samples >= 10, "be >= 10")
        require("kmm", "iterations", self.iterations, self.iterations >= 1, "be >= 1")


@dataclass(frozen=True)
class PriorCorrectionParams:
    estimator: Literal["em", "bbse"] = "em"
    calibrate: bool = True  # BCTS on the source validation split before estimating and correcting
    max_iter: int = 1000  # EM steps at most

    def check(self) -> None:
        require("prior_correction", "max_iter", self.max_iter, self.max_iter >= 1, "be >= 1")


@dataclass(frozen=True)
class AdaBNParams:
    batch_size: int = 256  # target samples per statistics pass

    def check(self) -> None:
        if self.batch_size < 2:
            raise TLError("adabn: batch_size must be >= 2 (a batch variance needs two samples)")


@dataclass(frozen=True)
class CDANParams:
    entropy: bool = True  # CDAN+E: entropy-conditioned sample weights
    multilinear: Literal["auto", "full", "randomized"] = "auto"
    random_dim: int = 1024
    hidden: int = 256
    gamma: float = 10.0

    def check(self) -> None:
        check_widths("cdan", random_dim=self.random_dim, hidden=self.hidden)
        require("cdan", "gamma", self.gamma, self.gamma > 0, "be > 0 (the reversal's ramp-up rate)")


@dataclass(frozen=True)
class CoralParams:
    eps: float = 1.0  # ridge added to both covariances (the paper's "+ eye")
    align_means: bool = True
    C: float = 1.0  # inverse L2 strength of the refitted head
    max_iter: int = 500

    def check(self) -> None:
        require("coral", "eps", self.eps, self.eps > 0, "be > 0")
        require("coral", "C", self.C, self.C > 0, "be > 0")
        require("coral", "max_iter", self.max_iter, self.max_iter >= 1, "be >= 1")


@dataclass(frozen=True)
class DANParams:
    logits: bool = True  # the logits as well as the features (the paper's every task-specific layer)
    logits_weight: float = 1.0  # w in MMD2(features) + w * MMD2(logits); 0: the features alone

    def check(self) -> None:
        rule = "be >= 0 (0: the features alone)"
        require("dan", "logits_weight", self.logits_weight, self.logits_weight >= 0, rule)


@dataclass(frozen=True)
class DANNParams:
    hidden: int = 1024
    gamma: float = 10.0

    def check(self) -> None:
        check_widths("dann", hidden=self.hidden)
        require("dann", "gamma", self.gamma, self.gamma > 0, "be > 0 (the reversal's ramp-up rate)")


@dataclass(frozen=True)
class DeepCoralParams:
    layer: Layer = "logits"


@dataclass(frozen=True)
class FixMatchParams:
    threshold: float = 0.95
    align: bool = True  # AdaMatch's distribution alignment of the weak-view predictions
    teacher: bool = True  # weak-view labels from the stage's weight average (mean teacher), if it keeps one

    def unneeded(self) -> frozenset[str]:
        """The needs (:data:`tlcore.method_table.Need`) these values switch off: without ``teacher`` the
        loop runs no target batch through the weight average."""
        return frozenset() if self.teacher else frozenset({"target_teacher"})

    def check(self) -> None:
        require(
            "fixmatch",
            "threshold",
            self.threshold,
            0.0 < self.threshold < 1.0,
            "lie strictly between 0 and 1",
        )


@dataclass(frozen=True)
class IMParams:
    diversity: float = 1.0
    ramp: bool = True  # scale the term by the sigmoid ramp-up over training progress

    def check(self) -> None:
        require(
            "im", "diversity", self.diversity, self.diversity >= 0, "be >= 0 (0: entropy minimisation alone)"
        )


@dataclass(frozen=True)
class MCCParams:
    temperature: float = 2.5

    def check(self) -> None:
        require("mcc", "temperature", self.temperature, self.temperature > 0, "be > 0")


@dataclass(frozen=True)
class PseudoLabelParams:
    threshold: float = 0.95

    def check(self) -> None:
        rule = "lie strictly between 0 and 1"
        require("pseudo_label", "threshold", self.threshold, 0.0 < self.threshold < 1.0, rule)


@dataclass(frozen=True)
class ShotPLParams:
    momentum: float = 0.9
    ramp: bool = True  # scale the term by the sigmoid ramp-up over training progress

    def check(self) -> None:
        require("shot_pl", "momentum", self.momentum, 0.0 <= self.momentum < 1.0, "lie in [0, 1)")
