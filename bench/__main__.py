"""``python -m bench [--quick | --smoke] [--out docs/]``: run the benchmarks, write benchmarks.md and .json.

Comparison libraries (skada, alibi-detect) are optional: without them their rows say so and the
rest still runs. Everything tlcore writes goes to a temporary workspace unless ``--workspace`` is given.
``--update`` merges this run into the existing ``benchmarks.json`` (:mod:`bench.update`) and
renders the report from both. ``--resume`` reuses the finished cells of an interrupted run
(:mod:`bench.parts`, :mod:`bench.cells`): rerun the same command and it goes on where it stopped.
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

from bench import ROOT, machine, report, targets
from bench.cells import Cells, state_folder
from bench.parts import DEFAULT_PARTS, PARTS, Context, run
from bench.plan import Plan, build_plan
from bench.update import merge_into


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
        "--state",
        type=Path,
        help="folder of finished cells (default: $TLSTUDIO_BENCH_STATE or .bench-state/); emptied first "
        "unless --resume",
    )
    parser.add_argument(
        "--resume", action="store_true", help="reuse the finished cells in --state (an interrupted run)"
    )
    parser.add_argument(
        "--task", action="append", type=task_pair, metavar="SRC->TGT", help="replace the tasks (repeatable)"
    )
    parser.add_argument(
        "--selection-task",
        action="append",
        type=task_pair,
        metavar="SRC->TGT",
        help="replace the selection part's pairs (repeatable)",
    )
    parser.add_argument("--seeds", type=int, metavar="N", help="seeds 0..N-1")
    parser.add_argument("--epochs", type=int, metavar="N")
    parser.add_argument("--methods", metavar="A,B", help="tlcore methods to compare (default: the mode's)")
    parser.add_argument("--recipes", metavar="A+B,C", help="composed recipes ('' for none)")
    parser.add_argument(
        "--few-shot", metavar="K,K", help="labelled target samples per class of the fine-tuning rows"
    )
    parser.add_argument(
        "--no-oracle", action="store_true", help="no oracle rows (an --update keeps the report's)"
    )
    parser.add_argument(
        "--recipe-labels",
        metavar="K,K",
        help="labelled target samples per class of the rows of the recommended recipe trained on them",
    )
    parser.add_argument("--mmd-sizes", metavar="N,N", help="samples per side for the MMD speed table")
    parser.add_argument("--mmd-dims", metavar="D,D", help="sample widths for the MMD speed table")
    parser.add_argument(
        "--model",
        metavar="NAME",
        help="the accuracy part's network on both sides (default: the engine's, auto); its rows sit "
        "beside other networks' in the report",
    )
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
        default=",".join(DEFAULT_PARTS),
        help=f"parts to run (default: {', '.join(DEFAULT_PARTS)}; the sweep part only when named; "
        "'all': every part)",
    )
    parser.add_argument("--sweep-trials", type=int, metavar="N", help="sweep part: at most N trials (24)")
    parser.add_argument("--sweep-epochs", type=int, metavar="N", help="sweep part: epochs per trial (5)")
    parser.add_argument(
        "--update",
        action="store_true",
        help="keep the other parts of the existing benchmarks.json in --out and re-render the report",
    )
    return parser.parse_args(argv)


def _split(text: str | None) -> list[str] | None:
    return None if text is None else [p for p in text.split(",") if p.strip()]


def _ints(text: str | None) -> list[int] | None:
    """``"1,5"`` -> ``[1, 5]``; ``""`` -> ``[]`` (no such rows); None -> None (the preset's)."""
    return None if text is None else [int(k) for k in _split(text) or []]


def plan_from(args: argparse.Namespace) -> Plan:
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    sizes, dims = _split(args.mmd_sizes), _split(args.mmd_dims)
    return build_plan(
        mode,
        tasks=args.task,
        selection_pairs=args.selection_task,
        seeds=args.seeds,
        epochs=args.epochs,
        methods=_split(args.methods),
        recipes=_split(args.recipes),
        few_shot=_ints(args.few_shot),
        recipe_labels=_ints(args.recipe_labels),
        no_oracle=args.no_oracle,
        mmd_sizes=[int(s) for s in sizes] if sizes else None,
        mmd_dims=[int(d) for d in dims] if dims else None,
        no_app=args.no_app,
        model=args.model,
        jobs=args.jobs,
        sweep_trials=args.sweep_trials,
        sweep_epochs=args.sweep_epochs,
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
    parts = set(PARTS) if args.only.strip() == "all" else set(_split(args.only) or [])
    unknown = sorted(parts - set(PARTS))
    if unknown:
        raise SystemExit(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    command = f"{interpreter()} -m bench " + shlex.join(sys.argv[1:] if argv is None else list(argv))
    started = time.perf_counter()
    facts = machine.machine_facts()
    cells = Cells(state_folder(args.state, ROOT), resume=args.resume)
    log(f"mode {plan.mode}; load {facts['load_start']}; {len(cells)} finished cells in {cells.folder}")
    if args.workspace is not None:
        results = run(Context(plan, args.workspace, cells, command.strip(), log), parts)
    else:
        with tempfile.TemporaryDirectory(prefix="tlstudio-bench-") as tmp:
            results = run(Context(plan, Path(tmp), cells, command.strip(), log), parts)
    results = _json_safe(
        {
            "command": command.strip(),
            "mode": plan.mode,
            "plan": asdict(plan),
            "machine": facts,
            "load_end": list(machine.load_average()),
            "seconds": time.perf_counter() - started,
            **results,
        }
    )
    if args.update:
        results = merge_into(args.out / "benchmarks.json", results, parts)
    args.out.mkdir(parents=True, exist_ok=True)
    _write(args.out, results)
    return 0


def _write(out: Path, results: dict[str, Any]) -> None:
    results["targets"] = targets.judge(results)
    (out / "benchmarks.json").write_text(json.dumps(results, indent=1) + "\n")
    (out / "benchmarks.md").write_text(report.render(results))
    log(f"wrote {out / 'benchmarks.md'} and {out / 'benchmarks.json'}")


if __name__ == "__main__":
    sys.exit(main())
