"""``python -m tlcore runs changes ID``: where a run's target predictions moved, without labels.

For a feature-vector target (a table) each flow also shows what the Compare page shows of it
(:func:`tlcore.views.changes.flow_details`): the columns where its samples differ most from the rest of
the target, with their shifts, and its first samples' values in those columns; ``--json`` carries the
same fields per flow.
"""

from __future__ import annotations

import argparse

from tlcore.cli.output import print_json, text_table, wrapped
from tlcore.cli.stores import RUN_ID_HELP
from tlcore.errors import TLError
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace


def register(parser: argparse.ArgumentParser) -> None:
    """Add ``runs changes``' arguments."""
    parser.description = (
        "Cross-tabulate the target predictions of a run's source-only model against its "
        "adapted model (or, with --against, of two runs' adapted models) and list the flows, largest "
        "first: the samples one model calls FROM and the other TO. A large flow out of one class is "
        "where a shift can tip a cluster the wrong way; look at its samples to tell."
    )
    parser.add_argument("run_id", metavar="ID", help=RUN_ID_HELP)
    parser.add_argument("--against", metavar="ID", help="another done run of the same target")
    parser.add_argument("--top", type=int, metavar="N", default=10, help="list this many flows (default 10)")
    parser.add_argument(
        "--samples",
        type=int,
        metavar="N",
        default=5,
        help="samples listed per flow, most confident first (default 5)",
    )
    parser.add_argument("--json", action="store_true", help="counts and every flow as JSON on stdout")
    parser.set_defaults(handler=show_changes)


def show_changes(args: argparse.Namespace) -> int:
    from tlcore.runs.changes import predicted_samples, run_changes  # noqa: PLC0415 - loads torch
    from tlcore.views.changes import flow_details, flow_rows, headline  # noqa: PLC0415 - loads torch

    for option, value in (("--top", args.top), ("--samples", args.samples)):
        if value < 0:  # it listed nothing, as if asked for none (QA helper-266)
            raise TLError(f"{option} must be at least 0, got {value}")
    store = RunStore(Workspace.existing(args.workspace))
    run = run_changes(store, args.run_id, args.against)
    target = predicted_samples(store, run)
    ids = None if target is None else target.ids
    samples = args.samples
    table = target if target is not None and not target.is_image else None  # flows shown as on Compare
    if args.json:
        payload = run.to_dict(samples_per_flow=samples, ids=ids)
        for entry, flow in zip(payload["flows"], run.changes.flows(), strict=True):
            entry.update({} if table is None else flow_details(run, table, flow, samples))
        print_json(payload)
        return 0
    print("\n".join(wrapped(headline(run))))
    rows = flow_rows(run, args.top)
    if not rows:
        return 0
    flows = run.changes.flows()[: len(rows)]
    cells = [(r["from"], r["to"], r["samples"], f"{r['share of from']:.1%}") for r in rows]
    header, *lines = text_table(("FROM", "TO", "SAMPLES", "OF FROM"), cells, right=(3,))
    print(f"  {header}  {'SAMPLE IDS' if ids else 'SAMPLE INDICES (the data no longer gives their ids)'}")
    for line, flow in zip(lines, flows, strict=True):
        index = run.changes.samples(flow)[:samples].tolist()
        first = ", ".join(ids[i] for i in index) if ids else ", ".join(map(str, index))
        print(f"  {line}  {first}")
        if table is not None:
            details = flow_details(run, table, flow, samples)
            found = details["rows"]
            shown = text_table(list(found[0]), [list(r.values()) for r in found]) if found else []
            for text in [*wrapped(details["note"], "      "), *(f"      {row}" for row in shown)]:
                print(text)
    return 0
