"""The parts of a Ray session that need no cluster: a SIGTERM while ``ray.init`` runs is seen even
when the exit Ray's handler raised was swallowed by Python; an embedded cluster's processes still
alive after shutdown (they name its session folder) are ended, and no other process; Ctrl-C while
``ray.init`` runs leaves nothing behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tlcore.cli import main
from tlcore.runs.executors import ray_session
from tlcore.runs.executors.ray_session import (
    SESSION_PREFIX,
    RaySession,
    end_stragglers,
    import_ray,
    signals_seen,
)
from tlcore.runs.sweep_store import SweepStore
from tlcore.workspace import Workspace


class SignalledWhenCollected:
    """Sends this process SIGTERM from its finaliser, where Python swallows whatever a signal handler
    raises ("Exception ignored in ..."), as in the fork hooks that ``ray.init`` runs through."""

    def __del__(self) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(10_000):  # the handler runs at the next check for pending signals: in here
            pass


@pytest.fixture
def exiting_handler() -> Iterator[list[int]]:
    """SIGTERM handled like Ray's handler does (``sys.exit``); the signals it received."""
    received: list[int] = []

    def handler(signum: int, frame: object) -> None:
        received.append(signum)
        sys.exit(signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield received
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_a_sigterm_whose_exit_was_swallowed_is_still_seen(
    exiting_handler: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    swallowed: list[type[BaseException]] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda unraisable: swallowed.append(unraisable.exc_type))
    with signals_seen() as seen:
        SignalledWhenCollected()  # collected at once: SystemExit raised and lost in __del__
    assert exiting_handler == [signal.SIGTERM] and swallowed == [SystemExit]  # the process went on
    assert signal.SIGTERM in seen
    assert signal.set_wakeup_fd(-1) == -1  # the wakeup fd was put back (none before)


def test_a_wakeup_fd_set_before_gets_the_signals_too(
    exiting_handler: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "unraisablehook", lambda unraisable: None)
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    previous = signal.set_wakeup_fd(writer.fileno())
    try:
        with signals_seen() as seen:
            SignalledWhenCollected()
        assert signal.set_wakeup_fd(previous) == writer.fileno()  # put back as it was
        assert reader.recv(16) == bytes([signal.SIGTERM]) == bytes(seen)
    finally:
        reader.close()
        writer.close()


def test_nothing_is_seen_when_no_signal_comes_or_when_off() -> None:
    received: list[int] = []
    previous = signal.signal(signal.SIGUSR1, lambda signum, frame: received.append(signum))
    try:
        with signals_seen() as seen:
            pass
        assert seen == bytearray()
        with signals_seen(active=False) as seen:  # off the main thread: not watched
            os.kill(os.getpid(), signal.SIGUSR1)
            for _ in range(10_000):
                pass
        assert received == [signal.SIGUSR1] and seen == bytearray()
        with signals_seen() as seen:
            os.kill(os.getpid(), signal.SIGUSR1)
            for _ in range(10_000):
                pass
        assert received == [signal.SIGUSR1] * 2 and bytes(seen) == bytes([signal.SIGUSR1])
    finally:
        signal.signal(signal.SIGUSR1, previous)


def sleeper(*argv: str, log: Path | None = None) -> subprocess.Popen[bytes]:
    """A process sleeping; ``log``: a file it holds open (its stdout), not named in its command line."""
    with Path(os.devnull if log is None else log).open("wb") as out:
        return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", *argv], stdout=out)


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="reads /proc")
def test_the_processes_naming_the_session_folder_are_ended_and_only_they(tmp_path: Path) -> None:
    folder, beside = tmp_path / "tlray-1-abc", tmp_path / "tlray-1-abcd"  # another session's, named alike
    for path in (folder, beside):
        path.mkdir()
    ours = [sleeper(f"--log_dir={folder}/session_1/logs"), sleeper(f"--session-dir={folder}")]
    ours.append(sleeper("ray::DashboardAgent", log=folder / "dashboard_agent.out"))  # QA helper-159
    others = [sleeper(str(beside)), sleeper(log=beside / "dashboard_agent.out")]
    try:
        time.sleep(0.2)  # their command lines are set
        started = time.monotonic()
        with (folder / "python-core-driver.log").open("wb"):  # this process's own: it lives on
            end_stragglers(folder)
        assert time.monotonic() - started < 5
        assert [p.wait(timeout=5) for p in ours] == [-signal.SIGKILL] * 3
        assert [p.poll() for p in others] == [None, None]
    finally:
        for process in (*ours, *others):
            process.kill()
            process.wait()


def test_ctrl_c_while_ray_starts_shuts_down_what_it_started_and_exits_130(
    workspace: Workspace, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA helper-162: ``RaySession._init``'s ``except KeyboardInterrupt`` (helper-159) had no test.
    ``ray.init`` is stood in for: it starts an agent of the embedded cluster (a process holding a log
    in its session folder open), then Ctrl-C arrives. Ray's shutdown runs for it, the agent is ended,
    the folder removed, everything put back; the sweep ends cancelled and the CLI says so in one line."""
    ray = import_ray(loopback=True)
    from ray._private import ray_constants  # noqa: PLC0415 - the loopback setting the session puts back

    agents: list[subprocess.Popen[bytes]] = []
    shutdowns: list[str] = []

    def interrupted_init(address: str, **options: Any) -> None:
        agents.append(sleeper("ray::DashboardAgent", log=Path(options["_temp_dir"]) / "dashboard_agent.out"))
        raise KeyboardInterrupt

    monkeypatch.setattr(ray, "init", interrupted_init)
    monkeypatch.setattr(ray, "shutdown", lambda: shutdowns.append("shutdown"))
    monkeypatch.delenv("RAY_AUTH_TOKEN", raising=False)  # the session sets this process's own meanwhile
    ray_env = {name: value for name, value in os.environ.items() if name.startswith("RAY_")}
    handler, loopback = signal.getsignal(signal.SIGTERM), ray_constants.ENABLE_RAY_CLUSTER
    digits = ["--source", "digits:n=200", "--target", "digits:n=200", "--methods", "im", "--seeds", "0"]
    try:
        code = main(["--workspace", str(workspace.root), "sweep", *digits, "--executor", "ray", "--json"])
    finally:
        for agent in agents:
            agent.kill()
    out, err = capfd.readouterr()
    assert code == 130 and out == "" and err == "error: interrupted\n"
    assert shutdowns == ["shutdown"]  # what the interrupted ray.init started is Ray's to stop
    assert [agent.wait(timeout=5) for agent in agents] == [-signal.SIGKILL]  # ended before close returned
    assert not list(Path(tempfile.gettempdir()).glob(f"{SESSION_PREFIX}{os.getpid()}-*"))
    assert {name: value for name, value in os.environ.items() if name.startswith("RAY_")} == ray_env
    assert signal.getsignal(signal.SIGTERM) == handler
    assert loopback == ray_constants.ENABLE_RAY_CLUSTER  # put back
    (record,) = SweepStore(workspace).list()
    assert (record.status, record.error) == ("cancelled", "interrupted by a signal or Ctrl-C")


def test_the_embedded_clusters_processes_are_out_of_reach_of_a_signal_to_the_drivers_group(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A SIGTERM to the driver's process group (``timeout``, ``kill -- -PGID``) killed Ray's GCS under
    the driver, which then hung 60 s and died with exit 1, its sweep ``interrupted``: what Ray starts
    for the embedded cluster begins a session of its own, and only while ``ray.init`` runs. ``ray.init``
    is stood in for by a start of one process the way Ray starts its GCS (``services.ConsolePopen``)."""
    ray = import_ray(loopback=True)
    from ray._private import services  # noqa: PLC0415 - how Ray starts its processes

    sessions: list[int] = []

    def start_one(popen: Any) -> int:
        with popen([sys.executable, "-c", "import time; time.sleep(120)"]) as child:
            try:
                return os.getsid(child.pid)
            finally:
                child.kill()

    monkeypatch.setattr(
        ray, "init", lambda address, **options: sessions.append(start_one(services.ConsolePopen))
    )
    monkeypatch.setattr(ray, "shutdown", lambda: None)
    monkeypatch.delenv("RAY_AUTH_TOKEN", raising=False)
    ray_popen = services.ConsolePopen
    session = RaySession(None)
    try:
        session.open()
    finally:
        session.close()
    (started,) = sessions
    assert started not in (os.getsid(0), os.getpid())  # a session of its own, not the driver's
    assert services.ConsolePopen is ray_popen  # Ray's own again
    assert start_one(services.ConsolePopen) == os.getsid(0)  # later processes: as Ray starts them


def test_a_cluster_on_the_loopback_is_reached_there_not_at_the_machines_main_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """QA helper-257: ``--address 127.0.0.1:PORT`` of a cluster whose nodes registered on the loopback
    (``ray start --head --node-ip-address 127.0.0.1``) passed the checks, then Ray swapped it for the
    machine's main address, where nothing answers, and retried for minutes. The checks are stood in
    for (the cluster's node is at 127.0.0.1), ``ray.init`` by Ray's own reading of the address."""
    ray = import_ray()
    from ray._private import ray_constants, services  # noqa: PLC0415 - Ray's loopback setting, its reading

    monkeypatch.setattr(ray_constants, "ENABLE_RAY_CLUSTER", True)  # Ray's default on Linux
    monkeypatch.setattr(ray_session, "check_reachable", lambda address: None)
    monkeypatch.setattr(ray_session, "check_token", lambda address: {"a96cf3": "127.0.0.1"})
    monkeypatch.setattr(ray_session, "check_node_here", lambda address, nodes: None)
    connected: list[str | None] = []
    read = services.canonicalize_bootstrap_address
    monkeypatch.setattr(ray, "init", lambda address, **options: connected.append(read(address)))
    monkeypatch.setattr(ray, "shutdown", lambda: None)
    assert read("127.0.0.1:26399") != "127.0.0.1:26399"  # Ray's swap, outside a session
    session = RaySession("127.0.0.1:26399")
    try:
        session.open()
    finally:
        session.close()
    assert connected == ["127.0.0.1:26399"]
    assert ray_constants.ENABLE_RAY_CLUSTER  # put back
