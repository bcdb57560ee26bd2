"""``python -m tlcore export RUN_ID --format onnx|torchscript --out DIR``: a run's model for use elsewhere."""

from __future__ import annotations

import argparse

from tlcore.cli.output import print_json, wrapped
from tlcore.run_model_options import FORMATS
from tlcore.workspace import Workspace


def register(parser: argparse.ArgumentParser) -> None:
    """Add ``export``'s arguments."""
    parser.add_argument("run_id", metavar="RUN_ID", help="a done run (see `runs list`)")
    parser.add_argument("--format", choices=FORMATS, default="onnx", help="file format (default onnx)")
    parser.add_argument(
        "--out", required=True, metavar="DIR", help="a new (or empty) folder to write model.* and model.json"
    )
    parser.add_argument("--json", action="store_true", help="print the result and the sidecar as JSON")
    parser.set_defaults(handler=export_command)


def export_command(args: argparse.Namespace) -> int:
    from tlcore.export import checked_line, export_run  # noqa: PLC0415 - loads torch

    result = export_run(Workspace.existing(args.workspace), args.run_id, args.format, args.out)
    if args.json:
        print_json(result.to_dict())
        return 0
    card = result.card
    shape = " x ".join(str(s) for s in card.input.shape[1:])
    model = f"{card.model['name']}, {len(card.classes)} classes"
    print("\n".join(wrapped(f"exported run {card.run_id} ({model}) to {result.folder}", "", "  ")))
    for name in result.files:
        print(f"  {name:<10} {(result.folder / name).stat().st_size:>12,} bytes")
    if card.onnx_opset is not None:
        print(f"  opset     ONNX opset {card.onnx_opset} (ai.onnx)")
    print(f"  input     {card.input.name}: batch x {shape} {card.input.dtype}; output: logits")
    print("\n".join(wrapped(checked_line(card.parity), "  checked   ")))  # QA helper-250: 123 columns
    return 0
