"""SIGTERM (a scheduler's ``timeout``, ``kill``, ``docker stop``) ends any CLI command as Ctrl-C does:
one ``error:`` line, exit 130; an inline ``adapt``'s run closed ``cancelled`` with no result."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

import pytest

from tlcore.cli import main
from tlcore.cli import methods as methods_cli
from tlcore.interrupts import sigterm_cancels
from tlcore.runs.jobs import child_env
from tlcore.runs.run_files import ARTIFACTS
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]


def test_sigterm_to_an_inline_adapt_cancels_its_run(workspace: Workspace) -> None:
    pair = ["--source", "digits:n=200", "--target", "digits:n=200,rotate=30", "--epochs", "200"]
    command = [sys.executable, "-m", "tlcore", "--workspace", str(workspace.root), "adapt", *pair]
    env = child_env() | {"OMP_NUM_THREADS": "1"}
    store = RunStore(workspace)
    with subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as process:
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            if any(r.status == "running" and r.progress > 0 for r in store.list()):  # training
                break
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    lines = stderr.decode().strip().splitlines()
    assert process.returncode == 130, lines[-20:]
    assert lines[-1] == "error: interrupted" and "Traceback" not in stderr.decode()
    (record,) = store.list()
    assert (record.status, record.error) == ("cancelled", "interrupted by a signal or Ctrl-C")
    assert not [name for name in ARTIFACTS if (record.folder / name).exists()]  # no half-written run


def test_sigterm_cancels_only_meanwhile() -> None:
    seen: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        seen.append(signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        with pytest.raises(KeyboardInterrupt), sigterm_cancels():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)  # the handler runs at the next bytecode; never slept through
        assert signal.getsignal(signal.SIGTERM) is handler and seen == []
        os.kill(os.getpid(), signal.SIGTERM)
        assert seen == [signal.SIGTERM]
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_sigterm_ends_any_command_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def signalled(args: object) -> int:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler runs at the next bytecode; never slept through
        return 0

    def unhandled(signum: int, frame: FrameType | None) -> None:
        raise RuntimeError("SIGTERM reached the process's own handler")

    monkeypatch.setattr(methods_cli, "methods_command", signalled)
    previous = signal.signal(signal.SIGTERM, unhandled)
    try:
        assert main(["methods"]) == 130
        assert capsys.readouterr().err == "error: interrupted\n"
        assert signal.getsignal(signal.SIGTERM) is unhandled  # put back once the command ends
    finally:
        signal.signal(signal.SIGTERM, previous)
