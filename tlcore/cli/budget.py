"""The training-budget options ``adapt`` and ``sweep`` share: defined once, each named after the
:class:`~tlcore.adapt.config.AdaptConfig` field it sets (unset: the config's or recipe's default)."""

from __future__ import annotations

import argparse
from typing import Any

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
    "bottleneck",
    "batch_size",
    "lr",
    "patience",
    "device",
)


def add_budget_arguments(parser: argparse._ActionsContainer) -> None:
    """``--epochs`` … ``--device``, one per name of :data:`BUDGET_OPTIONS`, all defaulting to unset."""
    parser.add_argument("--epochs", type=int, metavar="N")
    parser.add_argument(
        "--adapt-epochs", type=int, metavar="N", help="epochs of the adapt stage (default: --epochs)"
    )
    parser.add_argument(
        "--warm-start",
        action=argparse.BooleanOptionalAction,
        help="adapt from the trained source-only model instead of a fresh network",
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
        help="keep the adapt stage's moving average of the weights, this decay per step (0: off)",
    )
    parser.add_argument(
        "--settle-tol",
        type=float,
        metavar="F",
        help="end the adapt stage once at most this share of the target predictions changes between "
        "epochs, two epochs running (0: train every epoch)",
    )
    parser.add_argument(
        "--augment", action=argparse.BooleanOptionalAction, help="random affine source augmentation"
    )
    parser.add_argument("--target-labels", type=int, metavar="K", help="labelled target samples per class")
    parser.add_argument("--model", metavar="NAME", help="backbone (default: chosen from the input shape)")
    parser.add_argument(
        "--bottleneck", type=int, metavar="D", help="width of the bottleneck feature layer (0: none)"
    )
    parser.add_argument("--batch-size", type=int, metavar="N")
    parser.add_argument("--lr", type=float, metavar="F", help="learning rate")
    parser.add_argument(
        "--patience", type=int, metavar="N", help="early stopping on the source validation loss, in epochs"
    )
    parser.add_argument("--device", metavar="DEV", help="torch device (default: cuda if available, else cpu)")


def budget_values(args: argparse.Namespace) -> dict[str, Any]:
    """The budget options given on the command line, by config field name."""
    return {name: getattr(args, name) for name in BUDGET_OPTIONS if getattr(args, name) is not None}
