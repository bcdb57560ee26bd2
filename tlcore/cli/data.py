"""``python -m tlcore data ...``: list, inspect and upload domains; drop a target's copies of source
samples (``data drop-copies``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tlcore.cli.output import display_width, padded, print_json, prose_width, wrapped
from tlcore.commands import command_line
from tlcore.data.catalog import upload_summary
from tlcore.data.spec_text import MISSING_VALUES, ONEHOT, not_a_file, parse_spec
from tlcore.errors import TLError
from tlcore.limits import Limits
from tlcore.numbers import plural, shape_text
from tlcore.workspace import Workspace

USES = (("data", "inspect"), ("adapt", "--target"))  # the commands a folder's refusal names with its path
DESCRIPTION_MIN = 24  # the narrowest description column of ``data list``; narrower, it goes below


def register_list(listing: argparse.ArgumentParser) -> None:
    """Add ``data list``'s arguments."""
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.add_argument(
        "--scan",
        action="store_true",
        help="first read the uploads whose samples and shape are not kept (stored by an older version, or "
        "changed since) and keep them; without it nothing is read",
    )
    listing.set_defaults(handler=list_command)


def register_inspect(inspect: argparse.ArgumentParser) -> None:
    """Add ``data inspect``'s arguments."""
    inspect.add_argument(
        "spec", metavar="SPEC", help="e.g. mnist5k, fashion:rotate=30, ./data.zip, upload:NAME"
    )
    inspect.add_argument("--json", action="store_true", help="print JSON")
    inspect.add_argument(
        "--seed", type=int, metavar="N", default=0, help="seed for subsampling and shifts (default 0)"
    )
    inspect.set_defaults(handler=inspect_command)


def register_upload(upload: argparse.ArgumentParser) -> None:
    """Add ``data upload``'s arguments."""
    upload.add_argument(
        "path",
        metavar="FILE",
        help=".zip, .npz, .csv, .tsv or .parquet (a folder of images is not stored: its path is a spec)",
    )
    upload.add_argument(
        "--label",
        metavar="COLUMN",
        help="a table's label column when it is not called label, y, class or target; "
        "none: read the file unlabelled (the spec then carries label=...)",
    )
    upload.add_argument(
        "--missing",
        choices=list(MISSING_VALUES),
        help="drop: a table's rows holding a missing or non-numeric cell are dropped when read; impute: "
        "they are kept, such cells filled with the source's column medians when paired (a model's when "
        "predicted; a text cell read with --text onehot, none of its values); the spec then carries "
        "missing=...; without it such a table is refused, naming the first cell",
    )
    upload.add_argument(
        "--text",
        choices=[ONEHOT],
        help="onehot: each text feature column of a table (a region, a device) is read as a 0/1 column per "
        "value, named column=value (the spec then carries text=onehot); without it such a table is refused",
    )
    upload.add_argument("--json", action="store_true", help="print JSON")
    upload.set_defaults(handler=upload_command)


def register_drop_copies(drop: argparse.ArgumentParser) -> None:
    """Add ``data drop-copies``'s arguments."""
    drop.add_argument("--source", required=True, metavar="SPEC", help="the source spec")
    drop.add_argument("--target", required=True, metavar="SPEC", help="the target: an upload or a file")
    drop.add_argument(
        "--name",
        metavar="NAME",
        help="the new upload's name (default: the target's with -no-copies; refused if taken)",
    )
    drop.add_argument("--json", action="store_true", help="print JSON")
    drop.set_defaults(handler=drop_copies_command)


def list_command(args: argparse.Namespace) -> int:
    from tlcore.data import list_domains, list_shifts  # noqa: PLC0415 - loads torch

    workspace = Workspace.resolve(args.workspace, create=False)
    if args.scan:
        from tlcore.data.spec import keep_upload_summaries  # noqa: PLC0415 - loads torch

        for spec, why in keep_upload_summaries(workspace).items():
            print("\n".join(wrapped(why, f"warning: {spec} not read: ", "  ")), file=sys.stderr)
    domains = list_domains(workspace)
    shifts = list_shifts()
    if args.json:
        print_json({"domains": domains, "shifts": shifts})
        return 0
    width = max(24, *(display_width(row["name"]) for row in domains))  # QA: a 27-column name pushed its row
    shapes = [shape_text(row["shape"]) if row["shape"] else "-" for row in domains]  # a table's "9 features"
    wide = max(10, *map(len, shapes))
    heads = f"{'kind':<12} {'samples':>8}  {'shape':<{wide}} {'offline':<7} description"
    print(f"{padded('name', width)} {heads}")
    for row, shape in zip(domains, shapes, strict=True):
        n = row["n_samples"] if row["n_samples"] is not None else "-"
        offline = "yes" if row["offline"] else "no"
        first = f"{padded(row['name'], width)} {row['kind']:<12} {n:>8}  {shape:<{wide}} {offline:<7} "
        print("\n".join(_description(row["description"], first)))
    print("\nshifts (spec key=value):")
    ranges = {s["name"]: f"{s['low']:g}..{s['high']:g}" for s in shifts}
    names, spans = max(map(len, ranges)), max(map(len, ranges.values()))  # QA: standardise pushed its row
    for shift in shifts:
        first = f"  {shift['name']:<{names}}  {ranges[shift['name']]:<{spans}}  "
        print("\n".join(wrapped(shift["param"], first, " " * len(first))))
    return 0


def _description(text: str, first: str) -> list[str]:
    """A domain's row of ``data list``: its cells (``first``), then its description wrapped to the
    terminal under the description column (CLI audit: rows of 126 columns), or, where that column
    would be under :data:`DESCRIPTION_MIN` wide or narrower than a word of it (a spec, kept whole to
    paste), on the lines below the row."""
    hang = " " * display_width(first)
    if prose_width() - len(hang) >= max(DESCRIPTION_MIN, *map(display_width, text.split())):
        return wrapped(text, first, hang)
    return [first.rstrip(), *wrapped(text, "    ")]


def inspect_command(args: argparse.Namespace) -> int:
    from tlcore.data import load_domain  # noqa: PLC0415 - loads torch

    domain = load_domain(args.spec, Workspace.resolve(args.workspace), seed=args.seed)
    summary = domain.summary()
    if args.json:
        print_json(summary)
        return 0
    print("\n".join(_described(summary)))
    return 0


def _described(summary: dict[str, Any]) -> list[str]:
    """A domain's summary as ``data inspect`` prints it: size, provenance, classes."""
    if summary["kind"] == "features":
        width = summary["shape"][0]
        what = f"samples of {width} feature{'s' if width != 1 else ''}"
    else:
        what = f"{summary['kind']} samples of shape {summary['shape']}"
    lines = [
        f"{summary['name']}: {summary['n_samples']} {what}",
        *wrapped(summary["provenance"], "  provenance: "),
    ]
    if summary["labelled"]:
        counts = ", ".join(f"{name}: {count}" for name, count in summary["class_counts"].items())
        return [*lines, f"  {plural(summary['n_classes'], 'class', 'classes')}: {counts}"]
    classes = f" (classes: {', '.join(summary['classes'])})" if summary["classes"] else ""
    return [*lines, f"  unlabelled{classes}"]


def upload_command(args: argparse.Namespace) -> int:
    from tlcore.data.spec import store_upload  # noqa: PLC0415 - loads torch
    from tlcore.data.uploads import check_upload_size  # noqa: PLC0415 - loads torch

    path = Path(args.path).expanduser()
    if path.is_dir():
        inspect, adapt = (command_line(*words, str(path), workspace=args.workspace) for words in USES)
        raise TLError(
            f"{path} is a folder: uploads are files, a folder of images is read where it is; use its "
            f"path as the spec (e.g. {inspect}, {adapt}), or upload a .zip of it"
        )
    if not path.is_file():
        raise not_a_file(path)  # /dev/zero: not "no such file" (QA helper-266)
    limits = Limits.from_env()
    check_upload_size(path.name, path.stat().st_size, limits)  # before reading it into memory
    workspace = Workspace.resolve(args.workspace)
    how = {"missing": args.missing, "text_onehot": args.text is not None}
    data = path.read_bytes()
    spec = store_upload(workspace, path.name, data, limits, args.label, **how)
    name = parse_spec(spec).name
    stored = upload_summary(workspace, name)  # what the upload read, kept: the file is not parsed again
    if args.json:  # what the text says too (QA helper-250: only the name and spec)
        print_json({"name": name, "spec": spec, "summary": stored and stored["summary"]})
        return 0
    print(f"stored as upload:{name}" + (f"; use it as {spec}" if args.label or any(how.values()) else ""))
    if stored is not None:
        print("\n".join(_described(stored["summary"])))
    return 0


def drop_copies_command(args: argparse.Namespace) -> int:
    from tlcore.adapt.drop_copies import drop_copies  # noqa: PLC0415 - loads torch

    written = drop_copies(Workspace.resolve(args.workspace), args.source, args.target, args.name)
    if args.json:
        print_json(written.to_dict())
        return 0
    print("\n".join(wrapped(written.line())))
    return 0
