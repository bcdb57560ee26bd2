"""Runs a launch would repeat: the queued, running and done runs whose stored config equals a config
and whose methods were built with the parameters today's launch builds.

Same config (every field, the seed included), same pair and same resolved method parameters
(:func:`~tlcore.adapt.stored_params.drifts`: a run trained under a method default since changed is
another run, not a repeat): a second such run while the first is
queued or running trains the same thing twice; once the first is done, the code being deterministic,
a repeat gives the same numbers on CPU at the torch thread count it trained on (``info.torch_threads``;
the count splits torch's sums, so a launch at another count is told it may differ). The index's
``source``, ``target`` and ``method`` columns pick the candidates, then their stored configs are
compared, read back through :meth:`~tlcore.adapt.config.AdaptConfig.from_dict` (a config stored
before a field existed has that field's default, and one stored before runs kept their method
parameters has unknown ones; a done one is then named as an older version's, whose repeat may
differ). An active run whose worker is gone (:func:`~tlcore.runs.record.stale_reason`) is no repeat:
the next launch closes it as interrupted.

A launch that must not repeat a run (the app's, once its user saw none) looks and creates its runs
under :func:`launch_lock`, as every launch creates its runs (:func:`create_runs`): two sessions launching
one config at once give one run, and the other launch is refused (:class:`RepeatedError`), none of its
runs created.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import time
from collections.abc import Iterator, Sequence

from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.stored_params import drifts, older_version
from tlcore.errors import TLError
from tlcore.limits import Limits
from tlcore.numbers import plural
from tlcore.runs.record import RunRecord, stale_reason
from tlcore.runs.slots import run_threads
from tlcore.runs.store import RunStore
from tlcore.runs.thread_count import trained_threads
from tlcore.workspace import Workspace

LAUNCH_LOCK = ".launch.lock"  # in the runs folder: held while a launch looks for repeats and creates its runs

_CANDIDATES = (
    "SELECT id, config FROM runs WHERE source = ? AND target = ? AND method = ?"
    " AND status IN ('queued', 'running', 'done') ORDER BY created DESC, id DESC"
)


def identical_runs(store: RunStore, config: AdaptConfig) -> list[RunRecord]:
    """The queued, running and done runs whose stored config equals ``config`` and whose method
    parameters are today's (or unknown), newest first (no write)."""
    with store.connect() as conn:
        rows = conn.execute(_CANDIDATES, (config.source, config.target, config.method_label)).fetchall()
    now = time.time()
    records = [store.get(row["id"]) for row in rows if _stored_equals(row["config"], config)]
    return [
        r
        for r in records
        if r.status in ("queued", "running", "done")
        and not stale_reason(r, now)
        and not drifts(r.config, r.resolved_params)
    ]


class RepeatedError(TLError):
    """A launch refused as it repeats runs (:func:`identical_runs`, in ``records``, newest first)."""

    def __init__(self, records: list[RunRecord]) -> None:
        super().__init__(f"not launched: {repeat_line(records)}")
        self.records = records


@contextlib.contextmanager
def launch_lock(workspace: Workspace) -> Iterator[None]:
    """Held while a launch looks for the runs it would repeat and creates its own: a launch at the same
    time, in this process or another (a second app session, the CLI), waits, then sees that run."""
    with (workspace.runs / LAUNCH_LOCK).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
        yield


def create_runs(
    store: RunStore, configs: Sequence[AdaptConfig], *, unless_repeated: bool = False
) -> list[str]:
    """Create one queued run per config under :func:`launch_lock`; their ids. With ``unless_repeated``,
    every config is looked at first: one that repeats a run (:func:`identical_runs`) raises
    :class:`RepeatedError` and none is created."""
    with launch_lock(store.workspace):
        for config in configs if unless_repeated else ():
            if found := identical_runs(store, config):
                raise RepeatedError(found)
        return [store.create(config) for config in configs]


def _stored_equals(text: str, config: AdaptConfig) -> bool:
    """Whether the index's config JSON ``text`` is ``config`` (one it can no longer read is not)."""
    try:
        return AdaptConfig.from_dict(json.loads(text)) == config
    except (TLError, TypeError, ValueError):
        return False


def repeat_line(records: list[RunRecord]) -> str:
    """One line naming the run a launch would repeat (:func:`identical_runs`, newest first; an active
    one named before a done one): ``run 20261206-163000-a1b2c3 is running with this same config (every
    field, seed 0 included)``, a done one with its target accuracy, and how many more there are."""
    first = next((r for r in records if r.active), records[0])
    seed = first.config.get("seed")
    same = f"this same config (every field, seed {seed} included)"
    if first.active:
        line = f"run {first.id} is {first.status} with {same}"
    else:
        accuracy = first.headline.get("target_accuracy")
        scored = f", target accuracy {accuracy:.1%}" if isinstance(accuracy, int | float) else ""
        line = f"run {first.id} (done{scored}) had {same}: {_repeat_gives(first)}"
    more = len(records) - 1
    return line + (f"; {plural(more, 'more identical run')}" if more else "")


def _repeat_gives(record: RunRecord) -> str:
    """What repeating the done run ``record`` gives: the same numbers on CPU, unless its stored config
    lacks a field of today's or its method parameters are unknown (QA helper-157: a run stored by an
    older tlstudio, trained by its code, and today's repeat of it differed), or it trained on another
    torch thread count than a launch from this process does (:func:`~tlcore.runs.slots.run_threads`:
    helper-265 read the recipe's seed-3 run on 1 thread and its repeat on 2 differ in every loss)."""
    if older := older_version(record.config, record.resolved_params):
        return f"it was {older} and trained by its code, so a repeat measures this version's and may differ"
    trained, now = trained_threads(record), run_threads(Limits.from_env("max_running").max_running)
    if trained is not None and trained != now:
        return (
            f"it trained on {plural(trained, 'torch thread')} and a launch here trains on {now}, which sum "
            f"in another order, so a repeat may differ (OMP_NUM_THREADS={trained} repeats it)"
        )
    return "a repeat gives the same numbers on CPU"
