"""The contract of an adaptation run: its config.

The CLI parses into :class:`AdaptConfig`, the app fills one from widgets, the run store saves it
beside the checkpoint, and :func:`tlcore.adapt.pipeline.run_adaptation` turns it into an
:class:`~tlcore.adapt.result.AdaptResult`, emitting :class:`~tlcore.events.ProgressEvent` s on the way.
"""

from __future__ import annotations

import math
from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any

from tlcore.bounds import Bound
from tlcore.errors import TLError
from tlcore.imagenet_inputs import IMAGE_SIZE, IMAGENET_NAMES, check_image_size
from tlcore.limits import Limits, env_var

MAX_SEED = 2**32 - 1  # NumPy's legacy seeding takes 0..2^32 - 1
# Each number field's least value (refused below it) and the most the app's form offers
# (:class:`~tlcore.bounds.Bound`); unset adapt epochs, steps per epoch and patience are None, not 0.
BOUNDS = {
    "epochs": Bound(1, 500),
    "adapt_epochs": Bound(1, 500),
    "patience": Bound(1, 500),
    "steps_per_epoch": Bound(1, 1_000_000),
    "batch_size": Bound(2, 4096),  # BatchNorm needs two samples
    "lr": Bound(1e-6, 1.0),  # the config takes any finite lr > 0; the form offers 1e-6 up
    "seed": Bound(0, MAX_SEED),
    "target_labels": Bound(0, 10_000),
    "ema_decay": Bound(0.0, 0.9999),  # the config takes < 1
    "settle_tol": Bound(0.0, 0.99),  # the config takes < 1
}
# Fields added after runs, cached baselines and the benchmark report were first recorded (2026-12-05):
# a record without one was made with it unset (None), and keys leave it out while it is unset.
ADDED_FIELDS = ("image_size",)
# Fields that leave the source-only baseline as it is (:func:`tlcore.adapt.cache.baseline_key`; device:
# its type is in the key instead).
METHOD_ONLY_FIELDS = (
    "methods",
    "params",
    "target_labels",
    "adapt_epochs",
    "warm_start",
    "ema_decay",
    "settle_tol",
    "device",
)


def format_value(value: Any) -> str:
    """A setting's value as the CLI takes it: floats in their shortest form (``0.3``, ``1e-05``)."""
    return f"{value:g}" if isinstance(value, float) else str(value)


# Budget fields in plain words, once: the CLI's option help (tlcore.cli.budget) and the sweep tables'
# column help (tlcore.views.glossary) read them.
FIELD_WORDS = {
    "epochs": "epochs of the source-only model and, unless the adapt epochs (or a recipe) set them, of "
    "the adapt stage",
    "adapt_epochs": "epochs of the adapt stage",
    "target_labels": "labelled target samples per class",
    "model": "the backbone network",
    "image_size": "side, in pixels, that an ImageNet backbone resizes images to",
    "batch_size": "samples per domain in a batch",
    "lr": "learning rate",
}


@dataclass(frozen=True)
class AdaptConfig:
    """Everything that determines a run. Same config and seed, same numbers on CPU at one torch thread
    count (the count splits torch's sums: a run records it, ``info.torch_threads``).

    ``epochs`` trains the source-only baseline and, unless ``adapt_epochs`` is set, the adapt stage.
    ``warm_start``: the adapt stage starts from the trained baseline (pre-train on the source, then
    adapt, as SHOT, Liang et al. 2020) instead of a fresh network initialised like it.
    ``steps_per_epoch`` caps every stage's epoch at that many optimizer steps; unset, an epoch is one
    pass over the larger of source and target when the stage trains with the target, over the source
    otherwise (a small labelled source beside a large unlabelled target makes long epochs: cap them).
    Fine-tuning on ``target_labels`` keeps its own count.
    ``ema_decay`` (0: off): the adapt stage scores and keeps the exponential moving average of its
    weights, θ̄ ← d θ̄ + (1 - d) θ after each step (:mod:`tlcore.weight_average`).
    ``settle_tol`` (0: off): the adapt stage stops once at most that share of its target
    predictions changed from one epoch to the next, two epochs running (:mod:`tlcore.stopping`).
    ``patience`` (unset: off): a stage stops once its source validation loss has not improved for
    that many epochs (:class:`tlcore.stopping.EarlyStopping`).
    ``image_size`` (unset: 224, the weights' training resolution; 96 when ``auto`` picks
    efficientnet_lite0 for photos, :data:`~tlcore.imagenet_inputs.AUTO_IMAGE_SIZE`): the side an
    ImageNet backbone resizes its input to (:mod:`tlcore.pretrained`); smaller is faster on CPU.
    224 itself is stored unset, so one network has one config (and one cached baseline).

    Every value is checked here, when the config is built, so the CLI, the app and a sweep's trials
    refuse a bad one before any run exists.
    """

    source: str
    target: str
    methods: tuple[str, ...] = ("source_only",)
    params: dict[str, dict[str, float]] = field(default_factory=dict)
    model: str = "auto"
    image_size: int | None = None
    bottleneck: int = 256
    epochs: int = 10
    adapt_epochs: int | None = None
    warm_start: bool = False
    batch_size: int = 32
    lr: float = 1e-3
    seed: int = 0
    augment: bool = True
    target_labels: int = 0
    test_fraction: float = 0.2
    patience: int | None = None
    steps_per_epoch: int | None = None
    ema_decay: float = 0.0
    settle_tol: float = 0.0
    device: str | None = None

    def __post_init__(self) -> None:
        if not self.methods:
            raise TLError("choose at least one method")
        self._check_lengths()
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise TLError(f"the learning rate must be a finite number > 0, got {self.lr:g}")
        if not (seed := BOUNDS["seed"]).least <= self.seed <= seed.most:
            raise TLError(f"the seed must lie in {seed.least}..{seed.most}, got {self.seed}")
        if not BOUNDS["ema_decay"].least <= self.ema_decay < 1.0:
            raise TLError(f"EMA decay must lie in [{BOUNDS['ema_decay'].least:g}, 1) (0: no weight average)")
        if not BOUNDS["settle_tol"].least <= self.settle_tol < 1.0:
            least = BOUNDS["settle_tol"].least
            raise TLError(f"the settling tolerance must lie in [{least:g}, 1) (0: train every epoch)")
        if not 0.0 < self.test_fraction < 1.0:
            raise TLError("test fraction must lie strictly between 0 and 1")
        if self.target_labels < BOUNDS["target_labels"].least:
            raise TLError(f"target labels per class must be >= {BOUNDS['target_labels'].least}")
        width = Limits.from_env("max_layer_width").max_layer_width
        if not 0 <= self.bottleneck <= width:
            raise TLError(
                f"bottleneck width must lie in 0..{width} (0: no bottleneck; the limit is "
                f"{env_var('max_layer_width')}), got {self.bottleneck}"
            )
        self._check_image_size()

    def _check_image_size(self) -> None:
        """Refuse an input size for a model that has none or out of the backbones' range; 224 -> unset."""
        if self.image_size is None:
            return
        if self.model not in IMAGENET_NAMES:  # auto included: it picks its own (AUTO_IMAGE_SIZE for photos)
            raise TLError(
                f"the input size (image_size) applies only to the ImageNet backbones "
                f"({', '.join(IMAGENET_NAMES)}), not to model {self.model!r}"
            )
        if check_image_size(self.model, self.image_size) == IMAGE_SIZE:
            object.__setattr__(self, "image_size", None)  # frozen: the canonical form of the default

    def _check_lengths(self) -> None:
        """Refuse an epoch count, batch size, patience or step count below its minimum, naming it."""
        least = {name: bound.least for name, bound in BOUNDS.items()}
        if self.epochs < least["epochs"]:
            raise TLError(f"epochs must be >= {least['epochs']}, got {self.epochs}")
        if self.batch_size < least["batch_size"]:
            raise TLError(
                f"the batch size must be >= {least['batch_size']} (BatchNorm needs two samples), "
                f"got {self.batch_size}"
            )
        if self.patience is not None and self.patience < least["patience"]:
            raise TLError(f"patience must be >= {least['patience']} epoch (or unset: no early stopping)")
        if self.adapt_epochs is not None and self.adapt_epochs < least["adapt_epochs"]:
            raise TLError(f"adapt epochs must be >= {least['adapt_epochs']} (or unset: the same as epochs)")
        if self.steps_per_epoch is not None and self.steps_per_epoch < least["steps_per_epoch"]:
            raise TLError(
                f"steps per epoch must be >= {least['steps_per_epoch']} (or unset: one pass over the "
                "larger domain)"
            )

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Every field's default value: the one source of defaults for the CLI and the app's widgets."""
        out = {}
        for f in fields(cls):
            if f.default is not MISSING:
                out[f.name] = f.default
            elif f.default_factory is not MISSING:
                out[f.name] = f.default_factory()
        return out

    @classmethod
    def missing_from(cls, stored: dict[str, Any]) -> list[str]:
        """The fields a stored config lacks: it was stored by an older tlstudio, trained by its code and
        its methods' defaults (:func:`tlcore.adapt.stored_params.older_version` says so); :meth:`from_dict`
        reads each as today's default."""
        return [name for name in cls.defaults() if name not in stored]

    @property
    def method_label(self) -> str:
        return "+".join(self.methods)

    @property
    def model_options(self) -> dict[str, Any]:
        """:func:`~tlcore.models.build_model` keyword arguments: bottleneck width, ``image_size`` if set."""
        size = {} if self.image_size is None else {"image_size": self.image_size}
        return {"bottleneck_dim": self.bottleneck, **size}

    @property
    def params_text(self) -> str:
        """The parameters as the CLI takes them (``--param``), e.g. ``fixmatch.weight=0.3``; "" when none."""
        return ", ".join(f"{m}.{k}={format_value(v)}" for m, p in self.params.items() for k, v in p.items())

    @property
    def budget_text(self) -> str:
        """The training budget in words, e.g. ``5 epochs source-only, then 5 adapting from it, batch 32
        per domain, learning rate 0.001``."""
        adapt = self.adapt_epochs or self.epochs
        if self.warm_start:
            epochs = f"{self.epochs} epochs source-only, then {adapt} adapting from it"
        elif adapt != self.epochs:
            epochs = f"{self.epochs} epochs source-only, {adapt} adapting"
        else:
            epochs = f"{self.epochs} epochs"
        steps = f", {self.steps_per_epoch} steps an epoch" if self.steps_per_epoch else ""
        average = f", adapted weights averaged (EMA {self.ema_decay:g})" if self.ema_decay else ""
        settle = ""
        if self.settle_tol:
            settle = f", stopping once at most {self.settle_tol:.1%} of the target predictions change"
        rate = f"batch {self.batch_size} per domain, learning rate {self.lr:g}"
        return f"{epochs}{steps}, {rate}{average}{settle}"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["methods"] = list(self.methods)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AdaptConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise TLError(f"unknown config keys: {', '.join(unknown)}")
        values = dict(data)
        if "methods" in values:
            values["methods"] = tuple(values["methods"])
        return cls(**values)
