"""Stop a recorded process that does not answer, only where it is provably the one recorded.

The index names a process by its pid and by when it started (:func:`~tlcore.runs.record.process_started`,
kept when it was launched or claimed its work). A pid alone may name another process by now (the one
recorded ended, the pid was reused), so :func:`stop` signals only while the process at that pid started
when the record says; where the start was not recorded it refuses and names the pid, for a person to
judge. The signals go through a pidfd (Linux), bound to the process the start was checked on: one that
ends meanwhile cannot hand its pid, and the signal, to another.

Stopping is SIGTERM (a sweep driver or a run's worker reads it as Ctrl-C:
:func:`tlcore.interrupts.sigterm_cancels`) and SIGCONT (a stopped process gets to read it), then, after
:data:`TERM_GRACE` seconds, SIGKILL. Runs and sweeps share the rule of when a cancel has gone unanswered
(:func:`unanswered`) and the reason a record stopped so gives (:func:`stopped_by_force`).

A record closed ``interrupted`` by a look (its silence taken for the end of its process: a run's, never
a sweep's, :data:`RUN`) may name a process that provably still runs: paused (SIGSTOP) or stuck where it
cannot beat (C code), holding CPU and memory, and free to write into the record's files once it goes on.
So may a record its own process closed, where that process was launched for it alone (a detached worker
or driver: it has nothing left to do) and still runs :data:`EXIT_GRACE` seconds later: hung on its way
out (Ray's shutdown, a thread that never ends). One running the record inline (the CLI, a notebook) may
go on with other work: never named. :func:`still_runs` finds such a process and :func:`stop_outliving`
ends it on request, the record's status and reason kept. No torch.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from tlcore.errors import TLError
from tlcore.numbers import plural
from tlcore.runs.record import ACTIVE, pid_alive, process_started

if TYPE_CHECKING:
    from tlcore.runs.record import RunRecord
    from tlcore.runs.sweep_store import SweepRecord

FORCE_AFTER = 10.0  # seconds a cancel may go unanswered before a forced one stops the process
TERM_GRACE = 5.0  # seconds a process may take to end after SIGTERM before it is killed
KILL_WAIT = 5.0  # seconds to see a killed process gone (SIGKILL waits only for a disk read to finish)
POLL = 0.05
EXIT_GRACE = 60.0  # seconds a launched process may take to exit once it closed its record, before it is hung

Ending = Literal["gone", "terminated", "killed"]
"""How :func:`stop` left the process: ``gone`` (it had ended, or its pid names another process now:
nothing signalled), ``terminated`` (by SIGTERM), ``killed`` (by SIGKILL)."""


class Held(Protocol):
    """Work a recorded process holds: a run (its worker) or a sweep (its driver)."""

    @property
    def id(self) -> str: ...
    @property
    def error(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def pid(self) -> int | None: ...
    @property
    def updated(self) -> float: ...
    @property
    def heartbeat(self) -> float | None: ...
    @property
    def cancel_requested(self) -> bool: ...


@dataclass(frozen=True)
class Holding:
    """What a record's process is to it: the record's noun, the process's role, the CLI's command group,
    and whether a look closes the record ``interrupted`` while that process provably still runs."""

    noun: str
    role: str
    command: str
    look_closes: bool


RUN = Holding("run", "worker", "runs", look_closes=True)
"""A run and its worker: a look closes a silent run (:func:`tlcore.runs.record.stale_reason`)."""
SWEEP = Holding("sweep", "driver", "sweeps", look_closes=False)
"""A sweep and its driver: a look never closes a sweep whose driver provably runs
(:func:`tlcore.runs.sweep_store.stale_reason`), so its driver closed it, ``interrupted`` included."""


def silence(record: Held, now: float) -> float:
    """Seconds from the record's last sign of life (its heartbeat, or its last update: the first cancel
    request, a repeated one leaves it) to unix time ``now``."""
    return now - max(record.updated, record.heartbeat or 0.0)


def unanswered(record: Held, now: float) -> bool:
    """Whether the cancel asked of the record's live process has gone unanswered at unix time ``now``: no
    sign of life for more than :data:`FORCE_AFTER` seconds since it was first asked. A process that reads
    the request beats until its work has stopped (a run's worker every 2 s, a sweep's driver at every
    look), so one this silent is hung (stopped, or stuck where it cannot read it): :func:`stop` is the
    way out."""
    live = record.status in ("queued", "running") and record.pid is not None
    return live and record.cancel_requested and silence(record, now) > FORCE_AFTER


def stopped_by_force(pid: int, started: str | None, what: str, role: str) -> str | None:
    """:func:`stop` the process and the one-line reason the record it held closes with (``stopped by
    force: its ROLE (process PID) did not answer the cancel; SIGTERM ended it``); None where it was gone
    already (nothing signalled). ``role``: ``"driver"`` or ``"worker"``."""
    ending = stop(pid, started, what)
    if ending == "gone":
        return None
    return f"stopped by force: its {role} (process {pid}) did not answer the cancel; {ended_by(ending)}"


def ended_by(ending: Ending) -> str:
    """What ended a process :func:`stop` signalled (``terminated`` or ``killed``), in words."""
    return "SIGTERM ended it" if ending == "terminated" else "SIGKILL ended it (SIGTERM did not)"


def still_runs(record: Held, started: str | None, launched: bool, holding: Holding) -> int | None:
    """The pid of the process of the ended ``record`` where that process provably still runs (alive, and
    started at ``started``, its recorded start), and so outlives the record: a run a look closed on its
    worker's silence (:func:`closed_by_look`), or a record whose process, ``launched`` for it alone,
    closed it over :data:`EXIT_GRACE` seconds ago; None otherwise (a live record, no process or start
    recorded, the process gone or its pid another's now, or a process that closed its record running it
    inline: it may live on with other work)."""
    pid = record.pid
    if record.status in ACTIVE or pid is None or started is None:
        return None
    if not closed_by_look(record, holding) and not (launched and time.time() - record.updated > EXIT_GRACE):
        return None
    return pid if pid_alive(pid) and process_started(pid) == started else None


def worker_still_runs(run: RunRecord) -> int | None:
    """:func:`still_runs` of the run's worker."""
    return still_runs(run, run.worker_started, run.worker_launched, RUN)


def driver_still_runs(sweep: SweepRecord) -> int | None:
    """:func:`still_runs` of the sweep's driver."""
    return still_runs(sweep, sweep.driver_started, sweep.driver_launched, SWEEP)


def closed_by_look(record: Held, holding: Holding) -> bool:
    """Whether a look closed the ended ``record`` (a run ``interrupted``), not its process."""
    return holding.look_closes and record.status == "interrupted"


def outliving_words(record: Held, pid: int, holding: Holding, now: float, *, ran: bool = False) -> str:
    """How the process ``pid`` outlives the ended ``record`` at unix time ``now`` (``ran``: in the past
    tense): ``its worker (process PID) still runs``, and where it closed the record itself ``… 3 minutes
    after it closed the sweep``."""
    words = f"its {holding.role} (process {pid}) still {'ran' if ran else 'runs'}"
    if closed_by_look(record, holding):
        return words
    return f"{words} {minutes(now - record.updated)} after it closed the {holding.noun}"


def minutes(seconds: float) -> str:
    """``1 minute``, ``7 minutes``: ``seconds`` to the nearest minute, at least one."""
    return plural(max(1, round(seconds / 60)), "minute")


def stop_outliving(
    before: Held, record: Held, holding: Holding, *, started: str | None, launched: bool, log: Path
) -> str | None:
    """:func:`stop` the process of the ended ``record`` where it outlives it (:func:`still_runs`), the
    record left as it is; the one line saying so (:func:`stopped_words`), appended to ``log`` (the run's
    or the sweep's log) too. ``before``: the record as read before this command's look closed it (or
    not). None where nothing was signalled (no such process, or it ended meanwhile)."""
    pid = still_runs(record, started, launched, holding)
    if pid is None:
        return None
    now = time.time()
    ending = stop(pid, started, f"the {holding.role} of {holding.noun} {record.id}")
    if ending == "gone":
        return None
    line = stopped_words(before, record, pid, holding, now) + ended_by(ending)
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"tlstudio: {line}\n")
    return line


def stopped_words(before: Held, record: Held, pid: int, holding: Holding, now: float) -> str:
    """What :func:`stop_outliving` found, up to what ended the process: where this command's look closed
    the record (``before``: active), ``run ID was silent for 7 minutes, is closed as interrupted now, and
    its worker (process PID) did not answer: ``; else ``run ID was already interrupted (REASON); its
    worker (process PID) still ran: `` (:func:`outliving_words`; a failed one ``had already failed``)."""
    noun = f"{holding.noun} {record.id}"
    if before.status in ACTIVE and closed_by_look(record, holding):
        silent = minutes(silence(before, now))
        return (
            f"{noun} was silent for {silent}, is closed as interrupted now, and its {holding.role} "
            f"(process {pid}) did not answer: "
        )
    why = f" ({record.error})" if record.error else ""
    already = "had already failed" if record.status == "failed" else f"was already {record.status}"
    still = outliving_words(record, pid, holding, now, ran=True)
    return f"{noun} {already}{why}; {still}: "


def stop(pid: int, started: str | None, what: str) -> Ending:
    """End process ``pid`` if it is still the one that started at ``started`` (SIGTERM and SIGCONT,
    SIGKILL :data:`TERM_GRACE` seconds later); ``what`` names it in a refusal (``"the driver of sweep ID"``).
    A start not recorded (None) or not readable now, or a process that outlives SIGKILL →
    :class:`TLError` saying the pid, nothing signalled in the first two cases."""
    if not pid_alive(pid):
        return "gone"
    if started is None:
        raise TLError(
            f"{what} is process {pid}, but when it started was not recorded, so tlstudio cannot tell "
            f"that pid {pid} still names it; if it does, stop it yourself (kill {pid})"
        )
    with _signaller(pid) as send:
        now = process_started(pid)
        if now is None and pid_alive(pid):
            raise TLError(
                f"{what} is process {pid}, but when process {pid} started cannot be read here, so "
                f"tlstudio cannot tell that it is still {what}; if it is, stop it yourself (kill {pid})"
            )
        if now != started:
            return "gone"
        send(signal.SIGTERM)
        send(signal.SIGCONT)
        if _ended(pid, TERM_GRACE):
            return "terminated"
        send(signal.SIGKILL)
        if _ended(pid, KILL_WAIT):
            return "killed"
    raise TLError(f"{what} (process {pid}) still runs {KILL_WAIT:g} s after SIGKILL (stuck on a disk?)")


@contextlib.contextmanager
def _signaller(pid: int) -> Iterator[Callable[[signal.Signals], None]]:
    """A function sending a signal to the process ``pid`` names now: through a pidfd, so it reaches that
    process or none (``os.kill`` where the system has no pidfd). A process gone: nothing is sent."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        yield lambda _: None
        return
    except (AttributeError, OSError):  # no pidfd here (not Linux, or a kernel before 5.3)
        yield lambda sig: _quietly(os.kill, pid, sig)
        return
    try:
        yield lambda sig: _quietly(signal.pidfd_send_signal, fd, sig)
    finally:
        os.close(fd)


def _quietly(send: Callable[[int, signal.Signals], None], target: int, sig: signal.Signals) -> None:
    """``send(target, sig)``, a process that ended meanwhile being no error."""
    with contextlib.suppress(ProcessLookupError):
        send(target, sig)


def _ended(pid: int, within: float) -> bool:
    """Whether process ``pid`` ends (or is a zombie) within ``within`` seconds."""
    deadline = time.monotonic() + within
    while pid_alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL)
    return True
