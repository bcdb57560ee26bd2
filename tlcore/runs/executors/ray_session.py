"""Connecting this process to a Ray cluster, and the embedded one.

Connecting (:class:`RaySession`) handles Ray 2.60's traps:

- the **embedded** cluster (no address): ``ray.init(address="local")`` with the node address
  127.0.0.1, ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` (read when Ray is imported; without it Ray
  resolves 127.0.0.1 to the machine's main address and binds there), no dashboard, a session folder
  of our own (``<tmp>/tlray-<pid>-*``, removed at shutdown; Ray never cleans its session folders,
  and those of dead drivers are removed at the next start) and a fresh token in ``RAY_AUTH_TOKEN``
  (Ray enables token auth for new clusters and would otherwise write one to ``~/.ray/auth_token``);
- an **explicit address** (``--address`` / ``$TLSTUDIO_RAY_ADDRESS``; never ``"auto"``, which joins
  whatever cluster it finds): a cluster with token auth (``ray start`` enables it when a token
  exists) needs ``RAY_AUTH_MODE=token`` on the driver, which Ray does not set for a connecting
  driver; it is set for you when ``RAY_AUTH_TOKEN`` or ``RAY_AUTH_TOKEN_PATH`` is given, and not
  merely because ``~/.ray/auth_token`` exists (a driver in token mode cannot create actors on a
  cluster without auth). The driver's ``tlcore`` travels to the workers (``runtime_env``
  ``py_modules``); the nodes need the packages of requirements.txt;
- ``ray.init`` replaces the process's SIGTERM handler: the previous one is put back, so SIGTERM
  still cancels the sweep (Ctrl-C semantics).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import tlcore
from tlcore.errors import TLError
from tlcore.runs.record import pid_alive

RAY_INSTALL = "pip install -r requirements-ray.txt  (or: pip install 'tlstudio[ray]')"
LOOPBACK_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
SESSION_PREFIX = "tlray-"  # <tmp>/tlray-<driver pid>-*: an embedded cluster's session folder
TOKEN_ENV = {"RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH"}


def import_ray(*, loopback: bool = False) -> Any:
    """The ``ray`` module, or a :class:`TLError` saying how to install it. ``loopback`` sets
    :data:`LOOPBACK_ENV` first when Ray is not imported yet (it is read once, at import)."""
    if loopback and "ray" not in sys.modules:
        os.environ.setdefault(LOOPBACK_ENV, "0")
    try:
        import ray  # noqa: PLC0415 - optional
    except ImportError:
        raise TLError(f"the ray executor needs Ray: {RAY_INSTALL}") from None
    return ray


class RaySession:
    """One connection of this process to a Ray cluster (see the module docstring)."""

    def __init__(self, address: str | None) -> None:
        self.address = address
        self.folder: Path | None = None  # the embedded cluster's session folder
        self._saved_env: dict[str, str | None] = {}
        self.ray: Any = None

    def open(self, worker_env: dict[str, str] | None = None) -> Any:
        """Connect (or start the embedded cluster); ``worker_env``: environment of its worker processes."""
        if self.address is None:
            remove_stale(Path(tempfile.gettempdir()), SESSION_PREFIX)
            self.folder = Path(tempfile.mkdtemp(prefix=f"{SESSION_PREFIX}{os.getpid()}-"))
            self._set_env(LOOPBACK_ENV, os.environ.get(LOOPBACK_ENV, "0"))
            self._saved_env.setdefault("RAY_AUTH_MODE", os.environ.get("RAY_AUTH_MODE"))  # ray.init sets it
            if not (os.environ.get("RAY_AUTH_TOKEN") or os.environ.get("RAY_AUTH_TOKEN_PATH")):
                self._set_env("RAY_AUTH_TOKEN", secrets.token_hex(32))
        elif not os.environ.get("RAY_AUTH_MODE") and TOKEN_ENV & set(os.environ):
            self._set_env("RAY_AUTH_MODE", "token")  # a token given for this connection: use it
        ray = import_ray(loopback=self.address is None)
        options: dict[str, Any] = {
            "logging_level": "ERROR",
            "log_to_driver": False,
            "runtime_env": {"py_modules": [str(Path(tlcore.__file__).parent)], "env_vars": worker_env or {}},
        }
        if self.address is None:
            options |= {"_node_ip_address": "127.0.0.1", "include_dashboard": False}
            options["_temp_dir"] = str(self.folder)
        handler = signal.getsignal(signal.SIGTERM)
        try:
            ray.init(address=self.address or "local", **options)
        except Exception as exc:
            self.close()
            raise TLError(_connect_error(self.address, exc)) from exc
        finally:
            if threading.current_thread() is threading.main_thread() and handler is not None:
                signal.signal(signal.SIGTERM, handler)
        self.ray = ray
        return ray

    def close(self) -> None:
        if self.ray is not None:
            self.ray.shutdown()
            self.ray = None
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env.clear()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def _set_env(self, name: str, value: str) -> None:
        self._saved_env.setdefault(name, os.environ.get(name))
        os.environ[name] = value


def _connect_error(address: str | None, exc: Exception) -> str:
    first = next(iter(str(exc).strip().splitlines()), type(exc).__name__)
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
