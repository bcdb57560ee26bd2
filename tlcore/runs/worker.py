"""Hidden entry point of a launched run: ``python -m tlcore.runs.worker WORKSPACE RUN_ID``.

Started by :func:`tlcore.jobs.launch` in its own session, with output going to the run's log file.
Before torch loads, it limits torch's threads to this run's share of the cores
(:func:`tlcore.slots.limit_threads`); then it waits for a free slot and does the run.
SIGTERM acts like Ctrl-C: the run is closed as ``cancelled`` before the process exits.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence

from tlcore.errors import TLError
from tlcore.interrupts import sigterm_cancels
from tlcore.limits import Limits
from tlcore.runs.jobs import CANCEL_GRACE, DEFAULT_WORKER, execute
from tlcore.runs.slots import limit_threads
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace


def main(argv: Sequence[str] | None = None) -> int:
    """Execute one queued run; exit 0 when it ends ``done``, 1 otherwise, 130 when signalled."""
    parser = argparse.ArgumentParser(prog="python -m tlcore.runs.worker")
    parser.add_argument("workspace")
    parser.add_argument("run_id")
    parser.add_argument("--worker", default=DEFAULT_WORKER, help="MODULE:FUNCTION doing the work")
    parser.add_argument("--cancel-grace", type=float, default=CANCEL_GRACE)
    args = parser.parse_args(argv)
    with sigterm_cancels():  # the process's whole life
        with contextlib.suppress(TLError):  # a bad setting fails the run in execute, with its message
            limit_threads(Limits.from_env().max_running)
        store = RunStore(Workspace.resolve(args.workspace))
        try:
            record = execute(store, args.run_id, args.worker, cancel_grace=args.cancel_grace)
        except KeyboardInterrupt:
            return 130
    return 0 if record.status == "done" else 1


if __name__ == "__main__":
    sys.exit(main())
