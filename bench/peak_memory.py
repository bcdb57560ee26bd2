"""Peak memory of one MMD permutation test, measured in a fresh process.

In the benchmark's own process, memory freed by earlier work is reused without the resident set
growing, so the growth seen there understates a call's needs. A child process that only imports,
makes the samples and runs the test once reports ``peak RSS - RSS before the call`` cleanly (the
peak is the kernel's ``VmHWM``, reset just before the call).

Child: ``python -m bench.peak_memory IMPL N D SIGMA PERMUTATIONS`` prints ``{"peak_mib": ...}``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

from bench import ROOT
from bench.mmd_impls import IMPL_FUNCTIONS, samples
from bench.probe import MIB, peak_rss_bytes, reset_peak_rss, rss_bytes

# The loop-based implementations hold the same buffers for every permutation; tlcore scores
# permutations in blocks (256 by default), so it needs a full block to reach its peak.
PERMUTATIONS = {"tlcore": 256, "alibi-detect": 2, "numpy": 2}


def measure_peak(impl: str, n: int, d: int, sigma: float, timeout_s: float = 900) -> float | None:
    """Peak MiB above the resident set before the call, from a child process (None if it failed)."""
    command = [sys.executable, "-m", "bench.peak_memory", impl, str(n), str(d), repr(sigma),
               str(PERMUTATIONS[impl])]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout_s, check=False)
    if done.returncode != 0:
        return None
    return float(json.loads(done.stdout.strip().splitlines()[-1])["peak_mib"])


def main(argv: list[str]) -> int:
    impl, n, d, sigma, perms = argv[0], int(argv[1]), int(argv[2]), float(argv[3]), int(argv[4])
    X, Y = samples(n, d, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        IMPL_FUNCTIONS[impl](X[:50], Y[:50], sigma, 2, 0)  # imports and one-time allocations
        reset_peak_rss()
        before = rss_bytes()
        IMPL_FUNCTIONS[impl](X, Y, sigma, perms, 0)
    print(json.dumps({"peak_mib": max(peak_rss_bytes() - before, 0) / MIB}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
