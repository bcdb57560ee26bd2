"""When a queued or running sweep stops counting as live (:func:`tlcore.runs.sweep_store.stale_reason`),
as ``cache --clear --baselines`` sees it: a sweep whose driver never started or has ended is closed at
once, not after STALE_AFTER's 5 minutes; a driver process that lives (the same process, known by its
start) is never closed on silence alone, however long its trial."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from tests.sweeps.stored_sweeps import cli
from tlcore.runs import driver
from tlcore.runs.record import STALE_AFTER, process_started
from tlcore.runs.sweep import SweepSpec
from tlcore.runs.sweep_store import DRIVER_GRACE, SweepStore
from tlcore.workspace import Workspace

SPEC = SweepSpec("mnist5k", "digits", (("source_only",),), seeds=(0,))
pytestmark = pytest.mark.skipif(process_started(os.getpid()) is None, reason="process starts need /proc")


@pytest.fixture
def alive() -> Iterator[subprocess.Popen[bytes]]:
    """A real process that lives through the test: a driver busy with a long trial."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield process
    process.kill()
    process.wait()


def ended() -> subprocess.Popen[bytes]:
    """A process that has ended: its pid names none."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process


def launched(workspace: Workspace, monkeypatch: pytest.MonkeyPatch, process: subprocess.Popen[bytes]) -> str:
    """A new queued sweep whose launch recorded ``process`` as its driver."""
    sweep_id = driver.create(workspace, SPEC)
    monkeypatch.setattr(driver, "start_detached", lambda *_: process)
    driver.launch(workspace, sweep_id)
    return sweep_id


def set_back(store: SweepStore, sweep_id: str, seconds: float) -> None:
    """The sweep's last write and sign of life ``seconds`` ago."""
    with store.runs.connect() as conn:
        then = time.time() - seconds
        conn.execute("UPDATE sweeps SET updated = ?, heartbeat = ? WHERE id = ?", (then, then, sweep_id))


def baselines(workspace: Workspace) -> None:
    """One trained baseline in the workspace's cache, for the clear to remove."""
    (workspace.root / "cache" / "baselines").mkdir(parents=True, exist_ok=True)
    (workspace.root / "cache" / "baselines" / "a.pt").write_bytes(bytes(1000))


def test_a_queued_sweep_without_a_driver_blocks_the_clear_for_seconds_not_minutes(
    workspace: Workspace,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    alive: subprocess.Popen[bytes],
) -> None:
    """Queued: its launch recorded a driver process that has ended, or none was recorded for longer than
    DRIVER_GRACE (its launch stopped before starting one): closed as interrupted at once and the clear
    goes on. Just queued, with a live launched driver or none yet: refused."""
    baselines(workspace)
    store = SweepStore(workspace)
    died = launched(workspace, monkeypatch, ended())
    orphan = driver.create(workspace, SPEC)
    set_back(store, orphan, DRIVER_GRACE + 10)  # well under STALE_AFTER: it blocked before
    code, out, _ = cli(workspace, "cache", "--clear", "--baselines", capsys=capsys)
    assert code == 0 and "removed 1 source-only model (1000 bytes)" in out
    assert [store.get(i).status for i in (died, orphan)] == ["interrupted", "interrupted"]
    assert store.get(died).error.endswith("ended before starting the sweep (killed or crashed)")
    assert re.fullmatch(r"no driver process took it up in 4\d s", store.get(orphan).error)

    starting = launched(workspace, monkeypatch, alive)  # its driver still starting up
    waiting = driver.create(workspace, SPEC)  # its driver not launched yet
    baselines(workspace)
    code, _, err = cli(workspace, "cache", "--clear", "--baselines", capsys=capsys)
    assert code == 2 and err.startswith(
        f"error: cannot clear the baselines while 2 sweeps are live (sweep {waiting}, sweep {starting}): "
    )
    assert store.get(starting).driver_started == process_started(alive.pid)
    assert [store.get(i).status for i in (starting, waiting)] == ["queued", "queued"]


def test_a_live_driver_is_never_closed_on_silence_a_dead_or_replaced_one_at_once(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], alive: subprocess.Popen[bytes]
) -> None:
    """Two sweeps driven by a live process (a real child) and silent for longer than STALE_AFTER, as a
    long trial leaves its driver: both stay live and refuse the clear. One whose recorded start is not
    its pid's process's (the pid reused) is closed; so is the other once its driver is killed. Where the
    start is unknown (an older tlstudio claimed the sweep), silence is all there is to go by."""
    baselines(workspace)
    store = SweepStore(workspace)
    busy, reused, older = (driver.create(workspace, SPEC) for _ in range(3))
    for sweep_id in (busy, reused, older):
        store.claim(sweep_id, alive.pid)
        set_back(store, sweep_id, STALE_AFTER + 60)
    assert store.get(busy).driver_started == process_started(alive.pid) != process_started(os.getpid())
    assert store.mark_stale() == []  # the defect: all three closed as "no sign of life for 360 s"
    code, _, err = cli(workspace, "cache", "--clear", "--baselines", capsys=capsys)
    assert code == 2 and f"(sweep {older}, sweep {reused}, sweep {busy})" in err

    with store.runs.connect() as conn:
        conn.execute("UPDATE sweep_drivers SET started = 'another-boot/1' WHERE id = ?", (reused,))
        conn.execute("DELETE FROM sweep_drivers WHERE id = ?", (older,))
    assert sorted(store.mark_stale()) == sorted([reused, older])
    assert store.get(reused).error == (
        f"driver process {alive.pid} ended without finishing the sweep (its pid names another process now)"
    )
    assert re.fullmatch(r"no sign of life from the driver for 36\d s", store.get(older).error)
    assert [record.id for record in store.live()] == [busy]

    alive.kill()
    alive.wait()
    assert store.mark_stale() == [busy]
    assert store.get(busy).error == (
        f"driver process {alive.pid} ended without finishing the sweep (killed or crashed)"
    )
    code, out, _ = cli(workspace, "cache", "--clear", "--baselines", capsys=capsys)
    assert code == 0 and "removed 1 source-only model" in out


def test_a_start_kept_for_an_earlier_driver_is_not_the_next_ones(
    workspace: Workspace, alive: subprocess.Popen[bytes]
) -> None:
    """Resumed and claimed by a driver that recorded no start of its own (an older tlstudio): the start
    its first driver left is not taken for this one's, which would close it as a reused pid."""
    store = SweepStore(workspace)
    sweep_id = driver.create(workspace, SPEC)
    store.claim(sweep_id, alive.pid)
    assert store.end(sweep_id, "interrupted", "killed")
    assert store.reopen(sweep_id).driver_started is None
    with store.runs.connect() as conn:  # an older tlstudio's claim: no start recorded
        conn.execute(
            "UPDATE sweeps SET status = 'running', pid = ?, heartbeat = ? WHERE id = ?",
            (os.getpid(), time.time(), sweep_id),
        )
    assert store.get(sweep_id).driver_started is None and store.mark_stale() == []
