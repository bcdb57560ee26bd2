"""Connecting this process to a Ray cluster, and the embedded one.

Connecting (:class:`RaySession`) handles Ray 2.60's traps:

- the **embedded** cluster (no address): ``ray.init(address="local")`` with the node address
  127.0.0.1, ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` (read when Ray is imported; without it Ray
  resolves 127.0.0.1 to the machine's main address and binds there; for a Ray imported before, the
  setting is made in Ray while the session lasts: :func:`set_loopback`), no dashboard, a session folder
  of our own (``<tmp>/tlray-<pid>-*``, removed at shutdown; Ray never cleans its session folders,
  and those of dead drivers are removed at the next start) and a token in ``RAY_AUTH_TOKEN`` (Ray
  enables token auth for new clusters and would otherwise write one to ``~/.ray/auth_token``): one
  per process (:func:`process_token`), as Ray's token loader keeps the first token it read;
- an **explicit address** (``--address`` / ``$TLSTUDIO_RAY_ADDRESS``; never ``"auto"``, which joins
  whatever cluster it finds): first checked to answer as a Ray GCS, as Ray retries a dead address
  for minutes and waits out its GCS timeout where something else answers, then asked once whether it
  takes this driver's token, and that this machine runs one of its nodes (a driver connects through
  one; :mod:`.ray_checks`); a cluster with token auth
  (``ray start`` enables it when a token exists) needs ``RAY_AUTH_MODE=token`` on the driver, which
  Ray does not set for a connecting driver; it is set for you when ``RAY_AUTH_TOKEN``
  or ``RAY_AUTH_TOKEN_PATH`` is given, and not merely because ``~/.ray/auth_token`` exists (a driver
  in token mode cannot create actors on a cluster without auth). Ray reads the mode once, when it
  is imported: :func:`sync_ray_auth` makes it read the environment again before each connection.
  Ray swaps a loopback address (``127.0.0.1``, ``localhost``) for the machine's main address, and
  takes that one as the driver's node address: a cluster whose nodes registered on the loopback
  (``ray start --head --node-ip-address 127.0.0.1``) was never reached (warnings for minutes), so
  the session is then a loopback one (:func:`set_loopback`), as the embedded cluster's is.
  The driver's ``tlcore`` travels to the workers (``runtime_env`` ``py_modules``); the nodes need
  the packages of requirements.txt;
- ``ray.init`` replaces the process's SIGTERM handler with one that exits: the previous one is put
  back, so SIGTERM still cancels the sweep (Ctrl-C semantics), and a SIGTERM that arrives while
  ``ray.init`` runs is handed to it once Ray is shut down again, also one whose exit Python
  swallowed (:func:`signals_seen`);
- Ray starts the embedded cluster's processes in the driver's process group, where a SIGTERM to the
  group (``timeout``, ``kill -- -PGID``) killed the GCS under the driver: they begin sessions of
  their own (:func:`apart_from_driver`), and the driver stops them once it cancelled its trials;
- Ray sets environment variables in the driver's process (``RAY_AUTH_MODE``, ``PYTHONBREAKPOINT``,
  ``RAY_USAGE_STATS_ENABLED``, ...): the whole environment is put back as it was when the session
  closes, so nothing leaks into later runs of the same process.
"""

from __future__ import annotations

import contextlib
import importlib.util
import ipaddress
import os
import re
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import tlcore
from tlcore.errors import TLError
from tlcore.runs.executors.ray_checks import check_node_here, check_reachable, check_token, first_line
from tlcore.runs.record import pid_alive

RAY_INSTALL = "pip install -r requirements-ray.txt  (or: pip install 'tlstudio[ray]')"
NEEDS_RAY = f"the ray executor needs Ray: {RAY_INSTALL}"
LOOPBACK_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
SESSION_PREFIX = "tlray-"  # <tmp>/tlray-<driver pid>-*: an embedded cluster's session folder
TOKEN_ENV = {"RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH"}
STRAGGLER_TIMEOUT = 5.0  # seconds an embedded cluster's killed processes get to be gone
_TOKEN: list[str] = []  # this process's embedded-cluster token, made once


def import_ray(*, loopback: bool = False) -> Any:
    """The ``ray`` module, or a :class:`TLError` saying how to install it. ``loopback`` sets
    :data:`LOOPBACK_ENV` first when Ray is not imported yet (it is read once, at import)."""
    if loopback and "ray" not in sys.modules:
        os.environ.setdefault(LOOPBACK_ENV, "0")
    try:
        import ray  # noqa: PLC0415 - optional
    except ImportError:
        raise TLError(NEEDS_RAY) from None
    return ray


def check_ray_installed() -> None:
    """:func:`import_ray`'s :class:`TLError` where Ray is not installed, found without importing it (the
    CLI's check before a sweep on the embedded cluster exists: importing Ray took 1-2 s, and a detached
    sweep's driver imports it again)."""
    if importlib.util.find_spec("ray") is None:
        raise TLError(NEEDS_RAY)


def set_loopback(on: bool) -> bool:
    """Make an imported Ray take 127.0.0.1 as this machine's node address (``on``) or not; the state
    before. Ray reads :data:`LOOPBACK_ENV` once, at import: imported before tlstudio (a notebook's
    ``import ray``), it would start an embedded cluster listening on every interface."""
    from ray._private import ray_constants  # noqa: PLC0415 - optional, private

    before = not ray_constants.ENABLE_RAY_CLUSTER
    ray_constants.ENABLE_RAY_CLUSTER = not on
    return before


@contextlib.contextmanager
def apart_from_driver() -> Iterator[None]:
    """Meanwhile each process Ray starts (its GCS, raylet, monitors; the raylet's workers and agents
    join the raylet's group) begins a session of its own, outside the driver's process group: a
    signal sent to that group (``timeout``, ``kill -- -PGID``, a job scheduler) reaches the driver
    alone, which cancels its trials and shuts its cluster down, where it used to kill the GCS under
    the driver (that then hung 60 s and died with exit 1, its sweep ``interrupted``). Only where the
    kernel ends Ray's processes with their driver (Linux): elsewhere Ray's reaper does, by killing the
    driver's process group, and needs them in it."""
    from ray._private import services, utils  # noqa: PLC0415 - optional, private

    popen = services.ConsolePopen
    if not utils.detect_fate_sharing_support():
        yield
        return

    class Apart(popen):  # type: ignore[misc, valid-type] - Ray's Popen, in a session of its own
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs | {"start_new_session": True})

    services.ConsolePopen = Apart
    try:
        yield
    finally:
        services.ConsolePopen = popen


def process_token() -> str:
    """This process's token for its embedded clusters: made once, as Ray's token loader keeps the
    first token it reads for the life of the process (a second cluster with another token fails to
    start its GCS)."""
    if not _TOKEN:
        _TOKEN.append(secrets.token_hex(32))
    return _TOKEN[0]


def sync_ray_auth() -> None:
    """Make an imported Ray read ``RAY_AUTH_MODE`` and the token again (it reads both once and keeps
    them): the config first, then the token cache, in the order Ray's own tests reset them."""
    from ray._raylet import AuthenticationTokenLoader, Config  # noqa: PLC0415 - optional, private

    Config.initialize("")
    AuthenticationTokenLoader.instance().reset_cache()


class RaySession:
    """One connection of this process to a Ray cluster (see the module docstring)."""

    def __init__(self, address: str | None) -> None:
        self.address = address
        self.folder: Path | None = None  # the embedded cluster's session folder
        self._saved_env: dict[str, str] | None = None  # the environment before open
        self._loopback_before: bool | None = None  # Ray's loopback state before open (embedded)
        self.ray: Any = None

    def check(self) -> None:
        """What :meth:`open` checks before connecting, without connecting: Ray is installed and an
        explicit address answers as a Ray cluster that accepts this driver's token."""
        self._prepare()
        self.close()

    def open(self, worker_env: dict[str, str] | None = None) -> Any:
        """Connect (or start the embedded cluster); ``worker_env``: environment of its worker processes."""
        ray = self._prepare()
        options: dict[str, Any] = {
            "logging_level": "ERROR",
            "log_to_driver": False,
            "runtime_env": {"py_modules": [str(Path(tlcore.__file__).parent)], "env_vars": worker_env or {}},
        }
        if self.address is None:
            options |= {"_node_ip_address": "127.0.0.1", "include_dashboard": False}
            options["_temp_dir"] = str(self.folder)
        self._init(ray, options)
        return ray

    def _prepare(self) -> Any:
        """The environment, Ray's loopback and auth state for the connection; the ``ray`` module."""
        if self.address is not None:
            check_reachable(self.address)
        self._saved_env = dict(os.environ)
        if self.address is None:
            remove_stale(Path(tempfile.gettempdir()), SESSION_PREFIX)
            self.folder = Path(tempfile.mkdtemp(prefix=f"{SESSION_PREFIX}{os.getpid()}-"))
            os.environ.setdefault(LOOPBACK_ENV, "0")
            if not (os.environ.get("RAY_AUTH_TOKEN") or os.environ.get("RAY_AUTH_TOKEN_PATH")):
                os.environ["RAY_AUTH_TOKEN"] = process_token()
        elif not os.environ.get("RAY_AUTH_MODE") and TOKEN_ENV & set(os.environ):
            os.environ["RAY_AUTH_MODE"] = "token"  # a token given for this connection: use it
        try:
            ray = import_ray(loopback=self.address is None)
        except TLError:
            self.close()
            raise
        if self.address is None:
            self._loopback_before = set_loopback(True)
        sync_ray_auth()
        if self.address is not None:
            try:
                nodes = check_token(self.address)
                check_node_here(self.address, nodes)
            except TLError:
                self.close()
                raise
            if any(map(_loopback, nodes.values())):  # a cluster on this machine's loopback alone
                self._loopback_before = set_loopback(True)
        return ray

    def _init(self, ray: Any, options: dict[str, Any]) -> None:
        """``ray.init`` with the caller's SIGTERM handler kept, and a SIGTERM meanwhile handed to it."""
        main = threading.current_thread() is threading.main_thread()
        handler = signal.getsignal(signal.SIGTERM)
        try:
            embedded = apart_from_driver() if self.address is None else contextlib.nullcontext()
            with signals_seen(main) as seen, embedded:
                ray.init(address=self.address or "local", **options)
            if signal.SIGTERM in seen:  # Ray's handler ran where Python swallowed its exit
                raise SystemExit(signal.SIGTERM)
        except SystemExit:  # Ray's own SIGTERM handler, while ray.init ran
            if main and handler is not None:
                signal.signal(signal.SIGTERM, handler)
            self.ray = ray
            self.close()
            if callable(handler):
                handler(signal.SIGTERM, None)  # as if it had come a moment later
            raise
        except KeyboardInterrupt:  # Ctrl-C while ray.init ran: the caller's close shuts down what it started
            self.ray = ray
            raise
        except Exception as exc:
            self.ray = ray
            self.close()
            raise TLError(_connect_error(self.address, exc)) from exc
        finally:
            if main and handler is not None:
                signal.signal(signal.SIGTERM, handler)
        self.ray = ray

    def close(self) -> None:
        if self.ray is not None:
            self.ray.shutdown()  # also after a failed or interrupted ray.init: what it started
            self.ray = None
        if self._loopback_before is not None:
            set_loopback(self._loopback_before)
            self._loopback_before = None
        if self._saved_env is not None:
            _restore_env(self._saved_env)
            self._saved_env = None
            if "ray" in sys.modules:
                sync_ray_auth()  # Ray forgets the mode this session set
        if self.folder is not None:
            end_stragglers(self.folder)  # else they write into the folder after it is removed
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


@contextlib.contextmanager
def signals_seen(active: bool = True) -> Iterator[bytearray]:
    """The numbers of the signals that arrive meanwhile, filled in at the end (``active``: in the main
    thread, the only one that handles signals). Read from a wakeup fd (:func:`signal.set_wakeup_fd`),
    which Python writes for every signal with a Python handler: this also sees a signal whose handler
    raised where Python swallows exceptions (Ray's SIGTERM handler's ``sys.exit`` inside a fork hook,
    "Exception ignored in ..."). A wakeup fd set before (asyncio's) gets the same numbers after."""
    seen = bytearray()
    if not active:
        yield seen
        return
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    previous = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    try:
        yield seen
    finally:
        signal.set_wakeup_fd(previous)
        with contextlib.suppress(BlockingIOError):
            while chunk := reader.recv(4096):
                seen += chunk
        reader.close()
        writer.close()
        if seen and previous != -1:
            with contextlib.suppress(OSError):
                os.write(previous, seen)


def end_stragglers(folder: Path, timeout: float = STRAGGLER_TIMEOUT) -> None:
    """Kill the processes still alive after ``ray.shutdown`` that name the embedded cluster's session
    ``folder`` in their command line (each of its processes gets it) or, as Ray's agents rename
    theirs, hold a file inside it open (their logs), this process aside, and wait for them to be
    gone: when a SIGTERM or Ctrl-C cut ``ray.init`` short, Ray's shutdown does not know the ones it
    had just started (its GCS then writes its port file after the folder is removed; the agents,
    their raylet killed, live on for a minute). Needs ``/proc`` (Linux)."""
    deadline = time.monotonic() + timeout
    while pids := _naming(folder):
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        if time.monotonic() > deadline:
            return
        time.sleep(0.05)


def _naming(folder: Path) -> list[int]:
    """Pids of the live processes but this one whose command line holds ``folder``'s path or that
    hold a file inside it open."""
    needles = [os.fsencode(folder) + end for end in (b"/", b"\0")]  # the path itself, or inside it
    inside = f"{os.fsdecode(folder)}/"
    pids = []
    for entry in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            command = (entry / "cmdline").read_bytes()  # NUL-terminated arguments; a zombie's is empty
            if int(entry.name) != os.getpid() and (
                any(needle in command for needle in needles) or _holds_open(entry, inside)
            ):
                pids.append(int(entry.name))
    return pids


def _holds_open(process: Path, prefix: str) -> bool:
    """Whether the process (its ``/proc`` entry) holds a file whose path starts with ``prefix`` open."""
    for fd in process.joinpath("fd").iterdir():
        with contextlib.suppress(OSError):  # closed meanwhile
            if str(fd.readlink()).startswith(prefix):
                return True
    return False


def _loopback(host: str) -> bool:
    """Whether ``host`` (an IP address or a name) is this machine's loopback."""
    with contextlib.suppress(ValueError):
        return ipaddress.ip_address(host).is_loopback
    return host.lower() == "localhost"


def _restore_env(saved: dict[str, str]) -> None:
    for name in set(os.environ) - set(saved):
        os.environ.pop(name, None)
    for name, value in saved.items():
        if os.environ.get(name) != value:
            os.environ[name] = value


def _connect_error(address: str | None, exc: Exception) -> str:
    first = first_line(exc)
    if address is None:
        return f"could not start an embedded Ray cluster: {first}"
    return (
        f"could not connect to the Ray cluster at {address}: {first} (a cluster with token auth needs "
        "RAY_AUTH_MODE=token and its token in RAY_AUTH_TOKEN, RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token)"
    )


def remove_stale(folder: Path, prefix: str) -> None:
    """Remove ``folder/<prefix><pid>-*`` left by processes that are gone."""
    for path in folder.glob(f"{prefix}*"):
        match = re.match(rf"{re.escape(prefix)}(\d+)-", path.name)
        if match and not pid_alive(int(match.group(1))):
            shutil.rmtree(path, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m tlcore.runs.executors.ray_session ADDRESS``: :meth:`RaySession.check` of the address;
    exit 0, or 2 with its refusal as the one line on stdout (:func:`.ray_checks.check_apart` reads it)."""
    (address,) = sys.argv[1:] if argv is None else argv
    try:
        RaySession(address).check()
    except TLError as exc:
        print(exc)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
