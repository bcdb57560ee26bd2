"""``python -m tlcore diagnose``: measure the gap between a source and a target domain.

Unless ``--no-explain``, the gap is then explained (:func:`tlcore.explain.explanation.explain`):
image statistics compared, findings with checked fix specs, a verdict ranking the causes; in the text,
in ``--json`` (key ``explanation``) and in the HTML report ``--report FILE.html``.

``--features run:ID --held-out`` measures a run's model on the held-out splits the run was scored
on, with the run's seed and the default gap settings: it prints the run's stored ``gap_after``
(``baseline:ID``: its source-only baseline from the workspace cache, and ``gap_before``).

Beside the gap: the target's novel share (in the same features), and the target's class
proportions estimated without its labels (BBSE and EM) by the pair's source-only model: the
baseline named by ``--features baseline:ID``, the model of a ``source_only`` run named by
``--features run:ID`` (another run's: its baseline), else the pair's cached baseline (of the default
settings, or of a done run on the pair). Without one it prints the ``adapt`` command that trains
it. A run's model reads any pair of its input shape, and of its classes for the class proportions
(:func:`tlcore.data.harmonise.misfit`); a pair that does not fit is refused in one line before the
gap is measured.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from tlcore.adapt.config import AdaptConfig
from tlcore.cli.diagnose_text import format_report, json_payload
from tlcore.cli.output import check_report, print_json, wrapped, write_report
from tlcore.commands import command_line
from tlcore.data.spec_text import anchored
from tlcore.diagnosis_settings import MAX_PERMUTATIONS, MAX_TEST_SAMPLES, PCA_DIM, UMAP_POINTS, GapSettings
from tlcore.errors import TLError
from tlcore.runs.store import RunStore
from tlcore.split_names import HELD_OUT_SPLITS
from tlcore.workspace import Workspace

if TYPE_CHECKING:
    from torch import nn

    from tlcore.adapt.source_model import NeedsSourceOnlyModel, SourceOnlyModel
    from tlcore.data import Domain
    from tlcore.data.overlap import SharedSamples
    from tlcore.metrics.gap import Gap

DEFAULTS = GapSettings()
STORED_GAP = {"run": "gap_after", "baseline": "gap_before"}  # what a run stored for each model


def register(parser: argparse.ArgumentParser) -> None:
    """Add ``diagnose``'s arguments."""
    parser.add_argument("--source", metavar="SPEC", help="source domain spec, e.g. mnist5k")
    parser.add_argument("--target", metavar="SPEC", help="target domain spec, e.g. digits")
    parser.add_argument(
        "--features",
        default="raw",
        metavar="SPACE",
        help="feature space: raw (flattened inputs, PCA), run:ID (the penultimate layer of a done "
        "run's model, as the app's Diagnose page offers) or baseline:ID (that run's source-only "
        "baseline, from the workspace's baseline cache)",
    )
    parser.add_argument(
        "--held-out",
        action="store_true",
        help=f"with run:ID or baseline:ID: the run's own pair and {HELD_OUT_SPLITS}, as the run measured "
        "its gap after / before; --source and --target may be left out",
    )
    parser.add_argument(
        "--seed",
        type=int,
        metavar="N",
        help=f"seed for data, PCA, tests and UMAP (default {DEFAULTS.seed}; the run's with --held-out)",
    )
    parser.add_argument(
        "--permutations",
        type=int,
        default=DEFAULTS.n_permutations,
        metavar="N",
        help=f"MMD permutation test size (default {DEFAULTS.n_permutations}, as runs use; at most "
        f"{MAX_PERMUTATIONS:,})",
    )
    parser.add_argument(
        "--max-test-samples",
        type=int,
        default=DEFAULTS.max_test_samples,
        metavar="N",
        help="samples per side in the permutation test, a seeded subsample beyond "
        f"(default {DEFAULTS.max_test_samples}, as runs use; at most {MAX_TEST_SAMPLES:,}, its kernel "
        "held whole; MMD² itself uses every sample)",
    )
    parser.add_argument(
        "--pca",
        type=int,
        default=PCA_DIM,
        metavar="N",
        help=f"PCA dimensions of raw features, 0 for none (default {PCA_DIM}, as the Diagnose page)",
    )
    parser.add_argument(
        "--umap-points",
        type=int,
        default=UMAP_POINTS,
        metavar="N",
        help=f"UMAP samples per domain, a seeded subsample (default {UMAP_POINTS}, as the Diagnose page "
        "draws: the page's slider at N is --umap-points N)",
    )
    parser.add_argument(
        "--no-umap",
        action="store_true",
        help="skip the UMAP projection (it is only computed for --json, whose output includes it)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON (no progress bar)")
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="compute again, not reusing the workspace's cached diagnosis of the same data and settings",
    )
    parser.add_argument(
        "--no-explain",
        action="store_true",
        help="skip the explanation (image statistics, findings with checked fix specs, the verdict)",
    )
    parser.add_argument(
        "--report", metavar="FILE.html", type=Path, help="also write a self-contained HTML diagnosis report"
    )
    parser.set_defaults(handler=diagnose_command)


@dataclass(frozen=True)
class FeatureSpace:
    """Where the features come from: ``raw``, or a model of a run (``kind`` run | baseline)."""

    space: str | nn.Module
    kind: Literal["raw", "run", "baseline"] = "raw"
    run_id: str = ""
    config: AdaptConfig | None = None


def feature_space(text: str, workspace: Workspace, given: str | None = None) -> FeatureSpace:
    """``raw``; the model of the run named by ``run:ID``; or, by ``baseline:ID``, its source-only
    baseline from the workspace's baseline cache (:func:`~tlcore.runs.source_only.run_baseline`: at the
    torch threads it trained on). ``given``: the ``--workspace`` the command was given,
    which the ``runs list`` it names for a bad ``text`` carries."""
    from tlcore.runs.source_only import run_baseline, run_feature_models  # noqa: PLC0415 - loads torch

    if text == "raw":
        return FeatureSpace("raw")
    kind, _, run_id = text.partition(":")
    if kind not in ("run", "baseline") or not run_id:
        runs = command_line("runs", "list", workspace=given)
        raise TLError(f"--features {text!r}: use raw, run:ID or baseline:ID (see {runs})")
    store = RunStore(workspace)
    run_id = store.resolve(run_id)  # a unique prefix or suffix too, as every command takes
    config = AdaptConfig.from_dict(store.get(run_id).config)
    if kind == "run":
        models, _ = run_feature_models(store, run_id)  # its note is on the source's predictions: none here
        return FeatureSpace(models, "run", run_id, config)
    return FeatureSpace(run_baseline(store, run_id).model, "baseline", run_id, config)


def _shared(
    args: argparse.Namespace, source: Domain, target: Domain, seed: int, workspace: Workspace
) -> SharedSamples | None:
    """The samples the given pair shares, as a run with this seed would split it (the near-copy search
    kept in ``workspace`` for its runs); None when they share none, or too few samples for a run's
    split (no run can train on them)."""
    from tlcore.adapt.copy_search import cache_folder  # noqa: PLC0415 - loads torch
    from tlcore.adapt.pair import pair_shared  # noqa: PLC0415 - loads torch

    cfg = AdaptConfig(source=args.source, target=args.target, seed=seed)
    return pair_shared(source, target, cfg, cache_folder(workspace))


def _pair(
    args: argparse.Namespace, features: FeatureSpace, workspace: Workspace, seed: int
) -> tuple[Domain, Domain, SharedSamples | None]:
    """The harmonised pair named by ``--source``/``--target``, or the run's held-out splits; with the
    samples they share (:meth:`tlcore.adapt.pair.RunPair.shared`: the run's own finding with
    ``--held-out``, its held-out splits' share included)."""
    from tlcore.adapt.pair import load_run_pair  # noqa: PLC0415 - loads torch
    from tlcore.data import harmonise  # noqa: PLC0415 - loads torch
    from tlcore.data.spec import load_sides  # noqa: PLC0415 - loads torch

    config = features.config
    if not args.held_out:
        if not (args.source and args.target):
            raise TLError("give --source and --target (or --held-out with --features run:ID or baseline:ID)")
        source, target = harmonise(*load_sides(args.source, args.target, workspace, seed))
        return source, target, _shared(args, source, target, seed, workspace)
    if config is None:
        raise TLError("--held-out needs --features run:ID or baseline:ID")
    for flag, given, used in (
        ("--source", args.source, config.source),
        ("--target", args.target, config.target),
    ):
        if given is not None and given != anchored(used):  # given: anchored on entry
            raise TLError(f"{flag} {given}: run {features.run_id} used {used}; leave it out with --held-out")
    pair = load_run_pair(config, workspace)
    return pair.source_val, pair.target_test, pair.shared(config)


def diagnose_command(args: argparse.Namespace) -> int:
    from tlcore.adapt.source_model import NeedsSourceOnlyModel, label_shift_of  # noqa: PLC0415 - loads torch
    from tlcore.cli.diagnose_steps import diagnosis_steps  # noqa: PLC0415 - loads torch
    from tlcore.cli.explain_text import format_explanation, label_shift_lines  # noqa: PLC0415 - loads torch
    from tlcore.metrics.prior_shift_estimate import LabelShiftEstimate  # noqa: PLC0415 - loads torch
    from tlcore.views.diagnosis_report import counted_in, diagnosis_report  # noqa: PLC0415 - loads torch

    if args.pca < 0 or args.umap_points < 2:
        raise TLError("--pca must be at least 0 and --umap-points at least 2")
    if args.report is not None:
        check_report(args.report)
    # refused before anything loads (a test that cannot fit: kernel_refusal); the seed comes later
    settings = GapSettings(n_permutations=args.permutations, max_test_samples=args.max_test_samples)
    workspace = Workspace.resolve(args.workspace)
    # as adapt and sweep store them, so the pair's runs are found from any folder
    args.source, args.target = (anchored(s) if s else s for s in (args.source, args.target))
    features = feature_space(args.features, workspace, args.workspace)
    config = features.config
    default_seed = config.seed if args.held_out and config is not None else DEFAULTS.seed
    seed = default_seed if args.seed is None else args.seed
    settings = replace(settings, seed=seed)
    source, target, shared = _pair(args, features, workspace, seed)
    copied = None if shared is None else shared.copied
    model = source_only_model(features, args, workspace)
    # first: a model that cannot read the pair says so before the gap is measured
    shift = model if isinstance(model, NeedsSourceOnlyModel) else label_shift_of(model, workspace, target)
    specs = (config.source, config.target) if args.held_out and config is not None else (None, None)
    # the run's device for its held-out splits (its stored gaps); else this machine's, as the page
    device = config.device if args.held_out and config is not None else None
    steps = diagnosis_steps(
        args,
        (source, target),
        features.space,
        settings=settings,
        workspace=workspace,
        shift=shift,
        specs=specs,
        device=device,
        copied=copied,
    )
    report, explanation = steps["findings"].value, steps.get("explanation")
    report = report if "umap" not in steps else replace(report, umap=steps["umap"].value)
    explanation = None if explanation is None else explanation.value
    shift = counted_in(report, shift)  # the diagnosis's counted label shift, said once
    estimate = shift if isinstance(shift, LabelShiftEstimate) else None
    line = shared and shared.line(args.held_out, workspace=args.workspace)  # its command: as printed
    if args.report is not None:
        document = diagnosis_report(report, explanation, label_shift=estimate, shared=line, copied=copied)
        write_report(args.report, document)
    unread = {} if explanation is None else explanation.unread(report)
    if args.json:
        print_json(
            json_payload(report, explanation, shift, steps)
            | {"shared_samples": shared and shared.to_dict(args.held_out, workspace=args.workspace)}
        )
        return 0
    lines = format_report(report, explanation, estimate, copied)
    if line:  # beside the pairing notes
        lines[lines.index("") : lines.index("")] = wrapped(line, "  shared: ")
    reused = [name for name, step in steps.items() if step.reused]
    lines += [f"{', '.join(reused)} {steps[reused[0]].note()}; --no-cache recomputes"] if reused else []
    if args.held_out:
        lines += wrapped(stored_gap_line(report.gap, features, RunStore(workspace)))
    why = unread.get("label_shift_estimate")
    lines += ["", *(wrapped(why, "label shift: ") if why else label_shift_lines(shift))]
    if explanation is not None:
        lines += format_explanation(explanation)
    print("\n".join(line.rstrip() for line in lines))
    return 0


def stored_gap_line(gap: Gap, features: FeatureSpace, store: RunStore) -> str:
    """Whether ``gap`` is the one the run stored for this model (its ``gap_after`` / ``gap_before``)."""
    from tlcore.metrics.gap import Gap  # noqa: PLC0415 - loads torch

    key, run_id = STORED_GAP[features.kind], features.run_id
    status = store.get(run_id).status
    if status != "done":
        return f"run {run_id} has no stored {key} to compare with: it is {status}"
    stored = Gap.from_dict(store.result(run_id)[key])
    if stored == gap:
        return f"the same gap as run {run_id}'s stored {key}"
    return (
        f"not the gap run {run_id} stored as {key} (MMD² {stored.mmd2:.4g}, p = {stored.p_value:.3g}): "
        "other settings, or measured by an older version"
    )


def source_only_model(
    features: FeatureSpace, args: argparse.Namespace, workspace: Workspace
) -> SourceOnlyModel | NeedsSourceOnlyModel:
    """The source-only model for the label-shift estimate (see the module docstring): the app's rule,
    :func:`~tlcore.runs.source_only.source_only_model_for`."""
    from tlcore.runs.source_only import source_only_model_for  # noqa: PLC0415 - loads torch

    config = features.config
    if config is not None and args.held_out:
        source, target = config.source, config.target
    else:
        source, target = args.source, args.target
    kind = "baseline" if features.kind == "baseline" else "run"
    return source_only_model_for(
        RunStore(workspace), source, target, features.run_id or None, kind, workspace=args.workspace
    )
