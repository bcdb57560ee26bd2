"""One MMD permutation test in a fresh process: its wall time, peak memory, statistic and p-value.

Every cell of the MMD speed table runs as ``python -m bench.mmd_cell IMPL N D SIGMA PERMUTATIONS``,
which prints one JSON line, so that

* the peak is the call's own: in a long-lived process, memory freed by earlier work is reused
  without the resident set growing; here ``peak RSS - RSS before the call`` (``VmHWM``, reset just
  before it) is what the call needed;
* an implementation that takes the interpreter down (a failed allocation inside a BLAS library
  once segfaulted at n = 20000) costs its cell, not the benchmark.

The samples are rebuilt from their seed (:func:`bench.mmd_impls.samples`); one small untimed call
first pays imports and one-time allocations.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from typing import Any

from bench import ROOT
from bench.mmd_impls import IMPL_FUNCTIONS, samples
from bench.probe import MIB, peak_rss_bytes, probe, reset_peak_rss, rss_bytes


def run_cell(
    impl: str, n: int, d: int, sigma: float, permutations: int, *, timeout_s: float = 3600
) -> dict[str, Any]:
    """``seconds``, ``peak_rss_mib``, ``mmd2`` and ``p_value`` of one test run in a child process,
    or ``{"status": "failed", "note": why}`` when the child dies or runs out of time."""
    command = [sys.executable, "-m", "bench.mmd_cell", impl, str(n), str(d), repr(sigma), str(permutations)]
    try:
        done = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired:
        return {"status": "failed", "note": f"no result within {timeout_s:.0f} s"}
    if done.returncode != 0:
        how = f"signal {-done.returncode}" if done.returncode < 0 else f"exit status {done.returncode}"
        last = (done.stderr.strip().splitlines() or [""])[-1][:160]
        return {"status": "failed", "note": f"the process died ({how}) {last}".strip()}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> int:
    impl, n, d, sigma, perms = argv[0], int(argv[1]), int(argv[2]), float(argv[3]), int(argv[4])
    X, Y = samples(n, d, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        IMPL_FUNCTIONS[impl](X[:50], Y[:50], sigma, 2, 0)
        reset_peak_rss()
        before = rss_bytes()
        with probe() as p:
            mmd2, p_value = IMPL_FUNCTIONS[impl](X, Y, sigma, perms, 0)
    peak = max(peak_rss_bytes() - before, 0) / MIB
    print(json.dumps({"seconds": p.seconds, "peak_rss_mib": peak, "mmd2": mmd2, "p_value": p_value}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
