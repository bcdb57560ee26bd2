"""``python -m tlcore methods [--json]``: every adaptation method, its family and hyper-parameters, read
from :mod:`tlcore.method_table` (no torch)."""

from __future__ import annotations

import argparse

from tlcore.cli.output import print_json
from tlcore.method_table import declared_methods


def register(parser: argparse.ArgumentParser) -> None:
    """Add ``methods``' arguments."""
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=methods_command)


def methods_command(args: argparse.Namespace) -> int:
    rows = [method.describe() for method in declared_methods()]
    if args.json:
        print_json({"methods": rows})
        return 0
    print(f"{'name':<16} {'family':<16} {'kind':<10} description")
    for row in rows:
        print(f"{row['name']:<16} {row['family']:<16} {row['kind']:<10} {row['description']}")
        if row["params"]:
            choices = row["choices"]
            params = ", ".join(
                f"{k}={v}" + (f" [{'|'.join(choices[k])}]" if k in choices else "")
                for k, v in row["params"].items()
            )
            print(f"{'':<44} params: {params}")
    print("\ncombine with '+': [one weighting method] + any loss terms, e.g. deep_coral+im;")
    print("baselines and stages (kind 'baseline' / 'stage') run alone;")
    print("transforms come last and change the trained model, e.g. source_only+prior_correction.")
    return 0
