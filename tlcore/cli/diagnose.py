"""``python -m tlcore diagnose``: measure the gap between a source and a target domain."""

from __future__ import annotations

import argparse
from typing import Any

from torch import nn

from tlcore.cli.output import ProgressBar, print_json
from tlcore.data import harmonise, load_domain
from tlcore.diagnosis import GapReport, describe_gap, diagnose
from tlcore.errors import TLError
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace


def register(subparsers: Any) -> None:
    """Add ``diagnose``."""
    parser = subparsers.add_parser(
        "diagnose",
        help="MMD² with a permutation test, CORAL, proxy A-distance and per-class gaps of a domain pair",
    )
    parser.add_argument("--source", required=True, metavar="SPEC", help="source domain spec, e.g. mnist5k")
    parser.add_argument("--target", required=True, metavar="SPEC", help="target domain spec, e.g. digits")
    parser.add_argument(
        "--features",
        default="raw",
        metavar="SPACE",
        help="feature space: raw (flattened inputs, PCA) or run:ID (the penultimate layer of a finished "
        "run's model, as the app's Diagnose page offers)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for data, PCA, tests and UMAP (default 0)")
    parser.add_argument(
        "--permutations", type=int, default=1000, metavar="N", help="MMD permutation test size (default 1000)"
    )
    parser.add_argument(
        "--pca", type=int, default=50, metavar="N", help="PCA dimensions, 0 for none (default 50)"
    )
    parser.add_argument(
        "--umap-points",
        type=int,
        default=5000,
        metavar="N",
        help="UMAP samples per domain, a seeded subsample (default 5000; the app's default is 1500)",
    )
    parser.add_argument(
        "--no-umap",
        action="store_true",
        help="skip the UMAP projection (it is only computed for --json, whose output includes it)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON (no progress bar)")
    parser.set_defaults(handler=diagnose_command)


def feature_space(text: str, workspace: Workspace) -> str | nn.Module:
    """``raw``, or the model of the run named by ``run:ID``."""
    if text == "raw":
        return "raw"
    kind, _, run_id = text.partition(":")
    if kind != "run" or not run_id:
        raise TLError(f"--features {text!r}: use raw or run:ID (see python -m tlcore runs list)")
    return RunStore(workspace).load_model(run_id)


def diagnose_command(args: argparse.Namespace) -> int:
    if args.permutations < 1 or args.pca < 0 or args.umap_points < 2:
        raise TLError("--permutations must be at least 1, --pca at least 0 and --umap-points at least 2")
    workspace = Workspace.resolve(args.workspace)
    features = feature_space(args.features, workspace)
    source = load_domain(args.source, workspace, seed=args.seed)
    source, target = harmonise(source, load_domain(args.target, workspace, seed=args.seed))
    bar = ProgressBar("diagnose", enabled=not args.json)
    try:
        report = diagnose(
            source,
            target,
            features,
            seed=args.seed,
            n_permutations=args.permutations,
            pca_dim=args.pca or None,
            umap=args.json and not args.no_umap,
            max_umap_per_domain=args.umap_points,
            progress=lambda step, fraction: bar.update(fraction, step),
        )
    finally:
        bar.close()
    if args.json:
        print_json(report.to_dict())
    else:
        print("\n".join(line.rstrip() for line in format_report(report)))
    return 0


def format_report(report: GapReport) -> list[str]:
    """The text summary: a small aligned table, per-class gaps and the plain-words reading."""
    lines = [
        f"{report.source} -> {report.target}: {report.n_source} vs {report.n_target} samples, "
        f"{report.feature_space} features, seed {report.seed}",
        "",
        f"  {'MMD²':<18}{report.mmd2:<12.4g}p = {report.p_value:.3g} ({report.n_permutations} permutations, "
        f"bandwidth {report.bandwidth:.3g})",
        f"  {'CORAL':<18}{report.coral:<12.4g}",
        f"  {'mean distance':<18}{report.mean_distance:<12.4g}",
        f"  {'proxy A-distance':<18}{report.a_distance:<12.3f}domain classifier error "
        f"{100 * report.domain_error:.1f}%",
    ]
    if report.label_shift is not None:
        lines.append(
            f"  {'label shift (TV)':<18}{report.label_shift['tv_distance']:<12.3f}"
            f"{report.per_class_labels} target labels"
        )
    lines.append("")
    if report.per_class:
        lines.append(f"  {'class':<18}{'MMD²':<12}{'source':>8}{'target':>8}")
        for gap in report.per_class:
            value = f"{gap['mmd2']:.4g}" if gap["mmd2"] is not None else "-"
            note = f"  {gap['reason']}" if gap["reason"] else ""
            lines.append(f"  {gap['name']:<18}{value:<12}{gap['n_source']:>8}{gap['n_target']:>8}{note}")
    else:
        lines.append(f"  per-class gaps skipped: {report.per_class_note}")
    steps = ", ".join(f"{name} {sec:.1f}" for name, sec in report.seconds.items() if name != "total")
    lines += ["", describe_gap(report), f"time: {report.seconds['total']:.1f} s ({steps})"]
    return lines
