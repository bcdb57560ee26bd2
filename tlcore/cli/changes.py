"""``python -m tlcore runs changes ID``: where a run's target predictions moved, without labels."""

from __future__ import annotations

import argparse

from tlcore.cli.output import print_json
from tlcore.runs.changes import predicted_samples, run_changes
from tlcore.runs.store import RunStore
from tlcore.views.changes import flow_rows, headline
from tlcore.workspace import Workspace


def register(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``changes`` to the ``runs`` actions."""
    parser = actions.add_parser(
        "changes",
        help="where a run's target predictions moved (no target labels needed)",
        description="Cross-tabulate the target predictions of a run's source-only model against its "
        "adapted model (or, with --against, of two runs' adapted models) and list the flows, largest "
        "first: the samples one model calls FROM and the other TO. A large flow out of one class is "
        "where a shift can tip a cluster the wrong way; look at its samples to tell.",
    )
    parser.add_argument("run_id", metavar="ID")
    parser.add_argument("--against", metavar="ID", help="another done run of the same target")
    parser.add_argument("--top", type=int, default=10, help="list this many flows (default 10)")
    parser.add_argument(
        "--samples", type=int, default=5, help="samples listed per flow, most confident first (default 5)"
    )
    parser.add_argument("--json", action="store_true", help="counts and every flow as JSON on stdout")
    parser.set_defaults(handler=show_changes)


def show_changes(args: argparse.Namespace) -> int:
    store = RunStore(Workspace.existing(args.workspace))
    run = run_changes(store, args.run_id, args.against)
    target = predicted_samples(store, run)
    ids = None if target is None else target.ids
    if args.json:
        print_json(run.to_dict(samples_per_flow=max(args.samples, 0), ids=ids))
        return 0
    print(headline(run))
    rows = flow_rows(run, max(args.top, 0))
    if not rows:
        return 0
    flows = run.changes.flows()[: len(rows)]
    width = max(4, *(len(r["from"]) for r in rows), *(len(r["to"]) for r in rows))
    header = f"  {'FROM':<{width}}  {'TO':<{width}}  {'SAMPLES':>7}  {'OF FROM':>7}"
    print(f"{header}  {'SAMPLE IDS' if ids else 'SAMPLE INDICES (the data no longer gives their ids)'}")
    for row, flow in zip(rows, flows, strict=True):
        index = run.changes.samples(flow)[: max(args.samples, 0)].tolist()
        first = ", ".join(ids[i] for i in index) if ids else ", ".join(map(str, index))
        print(
            f"  {row['from']:<{width}}  {row['to']:<{width}}  {row['samples']:>7}  "
            f"{row['share of from']:>7.1%}  {first}"
        )
    return 0
