"""The training-budget options ``adapt`` and ``sweep`` share: defined once, each named after the
:class:`~tlcore.adapt.config.AdaptConfig` field it sets (unset: the config's or recipe's default)."""

from __future__ import annotations

import argparse
from typing import Any

from tlcore.adapt.config import FIELD_WORDS, AdaptConfig, format_value
from tlcore.imagenet_inputs import AUTO_IMAGE_SIZE, IMAGE_SIZE, IMAGENET_NAMES
from tlcore.model_names import AUTO_RULE, MODEL_NAMES

BUDGET_OPTIONS = (
    "epochs",
    "adapt_epochs",
    "warm_start",
    "steps_per_epoch",
    "ema_decay",
    "settle_tol",
    "augment",
    "target_labels",
    "model",
    "image_size",
    "bottleneck",
    "batch_size",
    "lr",
    "patience",
    "device",
)


def add_budget_arguments(parser: argparse._ActionsContainer) -> None:
    """``--epochs`` … ``--device``, one per name of :data:`BUDGET_OPTIONS`, all defaulting to unset; each
    help names :class:`AdaptConfig`'s default, the one source of defaults."""
    parser.add_argument(
        "--epochs",
        type=int,
        metavar="N",
        help=f"{FIELD_WORDS['epochs']} {default('epochs')}",
    )
    parser.add_argument(
        "--adapt-epochs",
        type=int,
        metavar="N",
        help=f"{FIELD_WORDS['adapt_epochs']} (default: adapt's --recipe's, else --epochs)",
    )
    parser.add_argument(
        "--warm-start",
        action=argparse.BooleanOptionalAction,
        help=f"adapt from the trained source-only model instead of a fresh network {default('warm_start')}",
    )
    parser.add_argument(
        "--steps-per-epoch",
        type=int,
        metavar="N",
        help="optimizer steps an epoch (default: one pass over the larger of source and target)",
    )
    parser.add_argument(
        "--ema-decay",
        type=float,
        metavar="D",
        help=f"keep the adapt stage's moving average of the weights, this decay per step; 0 is off "
        f"{default('ema_decay')}",
    )
    parser.add_argument(
        "--settle-tol",
        type=float,
        metavar="F",
        help="end the adapt stage once at most this share of the target predictions changes between "
        f"epochs, two epochs running; 0 trains every epoch {default('settle_tol')}",
    )
    parser.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        help=f"random affine source augmentation {default('augment')}",
    )
    parser.add_argument(
        "--target-labels",
        type=int,
        metavar="K",
        help=f"{FIELD_WORDS['target_labels']} {default('target_labels')}",
    )
    auto = f"auto ({AUTO_RULE})"
    parser.add_argument(
        "--model",
        metavar="NAME",
        help=f"{FIELD_WORDS['model']}: {auto} or one of {', '.join(MODEL_NAMES)} {default('model')}",
    )
    parser.add_argument(
        "--image-size",
        type=int,
        metavar="PX",
        help=f"{FIELD_WORDS['image_size']} ({', '.join(IMAGENET_NAMES)}); smaller is faster on CPU "
        f"(default {IMAGE_SIZE}, their training resolution; {AUTO_IMAGE_SIZE} when --model auto picks one "
        "for photos)",
    )
    parser.add_argument(
        "--bottleneck",
        type=int,
        metavar="D",
        help=f"width of the bottleneck feature layer; 0 is none {default('bottleneck')}",
    )
    parser.add_argument(
        "--batch-size", type=int, metavar="N", help=f"{FIELD_WORDS['batch_size']} {default('batch_size')}"
    )
    parser.add_argument("--lr", type=float, metavar="F", help=f"{FIELD_WORDS['lr']} {default('lr')}")
    parser.add_argument(
        "--patience",
        type=int,
        metavar="N",
        help=f"early stopping on the source validation loss, in epochs {default('patience')}",
    )
    parser.add_argument("--device", metavar="DEV", help="torch device (default: cuda if available, else cpu)")


def default(field: str) -> str:
    """``(default 10)``: the :class:`AdaptConfig` default of ``field`` as a help text shows it (a flag's
    ``on``/``off``, an unset one ``off``)."""
    value = AdaptConfig.defaults()[field]
    if isinstance(value, bool) or value is None:
        return f"(default: {'on' if value else 'off'})"
    return f"(default {format_value(value)})"


def budget_values(args: argparse.Namespace) -> dict[str, Any]:
    """The budget options given on the command line, by config field name."""
    return {name: getattr(args, name) for name in BUDGET_OPTIONS if getattr(args, name) is not None}
