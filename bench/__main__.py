"""``python -m bench [--quick | --smoke] [--out docs/]``: run the benchmarks, write benchmarks.md and .json.

Comparison libraries (skada, alibi-detect) are optional: without them their rows say so and the
rest still runs. Everything tlcore writes goes to a temporary workspace unless ``--workspace`` is given.
``--only PART,...`` runs some parts; the other parts' figures are carried over from the
``benchmarks.json`` already in ``--out`` (the report says which, and from which command).
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from bench import ROOT, app_start, machine, report, speed_diagnose, speed_mmd, speed_training, targets
from bench.accuracy import run_accuracy
from bench.explain_cases import run_explain_cases
from bench.plan import Plan, build_plan

PARTS: dict[str, tuple[str, ...]] = {  # part -> the keys of the results it writes
    "accuracy": ("accuracy", "throughput"),
    "mmd": ("mmd_speed",),
    "diagnose": ("diagnose",),
    "adapt_run": ("adapt_run",),
    "app": ("app_start",),
    "explain": ("explain",),
}


def task_pair(text: str) -> tuple[str, str]:
    """``"mnist5k->digits"`` -> ``("mnist5k", "digits")``."""
    source, arrow, target = (part.strip() for part in text.partition("->"))
    if not (source and arrow and target):
        raise argparse.ArgumentTypeError(f"expected SOURCE->TARGET, got {text!r}")
    return source, target


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="a few minutes: 1 task, 1 seed, 2 epochs, n=1k")
    size.add_argument(
        "--smoke", action="store_true", help="tiny sizes, for the test that keeps bench working"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="folder for benchmarks.md/.json")
    parser.add_argument("--workspace", type=Path, help="tlcore workspace (default: a temporary folder)")
    parser.add_argument(
        "--task", action="append", type=task_pair, metavar="SRC->TGT", help="replace the tasks (repeatable)"
    )
    parser.add_argument("--seeds", type=int, metavar="N", help="seeds 0..N-1")
    parser.add_argument("--epochs", type=int, metavar="N")
    parser.add_argument("--methods", metavar="A,B", help="tlcore methods to compare (default: the mode's)")
    parser.add_argument("--recipes", metavar="A+B,C", help="composed recipes ('' for none)")
    parser.add_argument("--mmd-sizes", metavar="N,N", help="samples per side for the MMD speed table")
    parser.add_argument("--mmd-dims", metavar="D,D", help="sample widths for the MMD speed table")
    parser.add_argument("--no-app", action="store_true", help="skip the app's cold start")
    parser.add_argument("--threads", type=int, metavar="N", help="torch threads (default: torch's choice)")
    parser.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        help="run the accuracy part's (task, seed) units in N single-threaded worker processes",
    )
    parser.add_argument(
        "--only",
        metavar="PART,PART",
        default=",".join(PARTS),
        help=f"parts to run (default: all of {', '.join(PARTS)}); the others are carried over from "
        "the benchmarks.json in --out",
    )
    return parser.parse_args(argv)


def _split(text: str | None) -> list[str] | None:
    return None if text is None else [p for p in text.split(",") if p.strip()]


def plan_from(args: argparse.Namespace) -> Plan:
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    sizes, dims = _split(args.mmd_sizes), _split(args.mmd_dims)
    return build_plan(
        mode,
        tasks=args.task,
        seeds=args.seeds,
        epochs=args.epochs,
        methods=_split(args.methods),
        recipes=_split(args.recipes),
        mmd_sizes=[int(s) for s in sizes] if sizes else None,
        mmd_dims=[int(d) for d in dims] if dims else None,
        no_app=args.no_app,
        jobs=args.jobs,
    )


def interpreter() -> str:
    """This Python as the command to type: relative to the repository when inside it (``.venv-bench/...``)."""
    path = Path(sys.executable)
    try:
        return str(path.absolute().relative_to(ROOT))
    except ValueError:
        return "python"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(plan: Plan, parts: set[str], workspace: Path) -> dict[str, Any]:
    """Every requested part of the benchmark; the results dict the report is rendered from."""
    results: dict[str, Any] = {}
    if "accuracy" in parts:
        results["accuracy"] = run_accuracy(plan, workspace, log)
        results["throughput"] = speed_training.throughput(results["accuracy"])
    if "mmd" in parts:
        results["mmd_speed"] = speed_mmd.run_mmd_speed(
            plan.mmd_sizes, plan.mmd_dims, plan.permutations, plan.mmd_budget_s, log
        )
    if "diagnose" in parts:
        log(f"diagnose {plan.diagnose_pair[0]} -> {plan.diagnose_pair[1]}")
        results["diagnose"] = speed_diagnose.measure_diagnose(
            plan.diagnose_pair, workspace, plan.permutations, cli=plan.diagnose_cli
        )
    if "adapt_run" in parts:
        recipe = plan.recipes[0] if plan.recipes else "deep_coral"
        log(f"timed {plan.adapt_run_epochs}-epoch run of {recipe}")
        results["adapt_run"] = speed_training.timed_run(
            *plan.diagnose_pair, recipe, plan.adapt_run_epochs, workspace
        )
    if "app" in parts:
        log("app cold start")
        results["app_start"] = (
            app_start.measure_cold_start(ROOT)
            if plan.app_start
            else {"status": "not measured", "note": f"skipped in mode {plan.mode}"}
        )
    if "explain" in parts:
        results["explain"] = run_explain_cases(plan, workspace, log)
    return results


def carried_over(out: Path, parts: set[str]) -> dict[str, Any]:
    """The results of the parts not run now, from ``out/benchmarks.json`` when it exists, with
    ``carried_over``: each such part and the command that measured it."""
    path = out / "benchmarks.json"
    if not path.is_file():
        return {}
    previous = json.loads(path.read_text())
    earlier = previous.get("carried_over", {})
    kept: dict[str, Any] = {}
    commands: dict[str, str] = {}
    for part in (p for p in PARTS if p not in parts):
        found = {key: previous[key] for key in PARTS[part] if key in previous}
        if found:
            kept |= found
            commands[part] = earlier.get(part, previous.get("command", ""))
    return kept | {"carried_over": commands} if commands else {}


def _json_safe(value: Any) -> Any:
    """NaN and infinities as None (strict JSON), recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    plan = plan_from(args)
    parts = set(_split(args.only) or [])
    unknown = sorted(parts - set(PARTS))
    if unknown:
        raise SystemExit(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    command = f"{interpreter()} -m bench " + shlex.join(sys.argv[1:] if argv is None else list(argv))
    started = time.perf_counter()
    facts = machine.machine_facts()
    log(f"mode {plan.mode}; load {facts['load_start']}")
    if args.workspace is not None:
        results = run(plan, parts, args.workspace)
    else:
        with tempfile.TemporaryDirectory(prefix="tlstudio-bench-") as tmp:
            results = run(plan, parts, Path(tmp))
    results = _json_safe(
        {
            **carried_over(args.out, parts),
            "command": command.strip(),
            "mode": plan.mode,
            "plan": asdict(plan),
            "machine": facts,
            "load_end": list(machine.load_average()),
            "seconds": time.perf_counter() - started,
            **results,
        }
    )
    results["targets"] = targets.judge(results)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "benchmarks.json").write_text(json.dumps(results, indent=1) + "\n")
    (args.out / "benchmarks.md").write_text(report.render(results))
    log(f"wrote {args.out / 'benchmarks.md'} and {args.out / 'benchmarks.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
