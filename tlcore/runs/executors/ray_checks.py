"""Checks of an explicit Ray address before a driver connects (Ray 2.60 retries for minutes what a
check says in seconds).

- :func:`check_reachable`, without Ray: the address resolves, accepts a TCP connection within
  :data:`CONNECT_TIMEOUT` and answers as a Ray GCS does, a gRPC server, so HTTP/2: sent HTTP/2's
  client preface, it sends its SETTINGS frame (RFC 9113, section 3.4) within :data:`ANSWER_TIMEOUT`
  (an HTTP/1.x server answers with a status line or an error page, other servers with something
  else or nothing, where Ray would wait for its GCS until its own timeout);
- :func:`check_token`, with Ray: the GCS takes this driver's auth;
- :func:`check_node_here`, with Ray: this machine runs a node of that cluster (a driver connects
  through one);
- :func:`check_apart`: what :meth:`RaySession.check` says, asked in a child Python process
  (``python -m tlcore.runs.executors.ray_session ADDRESS``), for a process that must not import Ray
  (the app's server), with the same one line.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

from tlcore.errors import TLError
from tlcore.runs.executors import parse_address
from tlcore.runs.jobs import child_env

CONNECT_TIMEOUT = 5.0  # seconds for an explicit address to accept a TCP connection
ANSWER_TIMEOUT = 3.0  # seconds for it to answer HTTP/2's preface
CHECK_TIMEOUT = 120.0  # seconds for the whole check in a child process (Ray's import included)
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])  # and an empty SETTINGS
SETTINGS = 4  # an HTTP/2 frame's type byte for SETTINGS
TLS_ENV = "RAY_USE_TLS"  # Ray's switch for TLS between its processes: then no plain-text probe


def check_reachable(
    address: str, timeout: float = CONNECT_TIMEOUT, answer_timeout: float = ANSWER_TIMEOUT
) -> None:
    """A :class:`TLError` unless ``address`` resolves, accepts a TCP connection within ``timeout``
    seconds and answers HTTP/2's preface with a SETTINGS frame within ``answer_timeout`` (skipped
    when Ray speaks TLS: ``RAY_USE_TLS``)."""
    host, port = parse_address(address)
    try:
        conn = socket.create_connection((host, port), timeout=timeout)
    except socket.gaierror as exc:
        raise TLError(f"no Ray cluster at {address}: cannot resolve {host!r} ({exc.strerror})") from None
    except OSError as exc:
        why = "no answer" if isinstance(exc, TimeoutError) else (exc.strerror or type(exc).__name__)
        raise TLError(f"no Ray cluster at {address}: {why} (is `ray start --head` running there?)") from None
    with conn:
        if os.environ.get(TLS_ENV, "0").lower() in ("1", "true"):
            return
        answer = _answer(conn, answer_timeout)
    if len(answer) >= 9 and answer[3] == SETTINGS and answer[5:9] == bytes(4):
        return
    raise TLError(f"{address} is not a Ray cluster ({_answered_as(answer, answer_timeout)})")


def _answer(conn: socket.socket, timeout: float) -> bytes:
    """The first bytes (up to an HTTP/2 frame header's 9) that ``conn`` answers HTTP/2's preface with
    within ``timeout`` seconds; fewer when it closes or falls silent."""
    deadline = time.monotonic() + timeout
    answer = b""
    with contextlib.suppress(OSError):  # reset, timed out: what came so far
        conn.sendall(PREFACE)
        while len(answer) < 9 and (left := deadline - time.monotonic()) > 0:
            conn.settimeout(left)
            if not (chunk := conn.recv(9 - len(answer))):
                break
            answer += chunk
    return answer


def _answered_as(answer: bytes, timeout: float) -> str:
    """What a port that did not answer as a Ray GCS did, in words."""
    if not answer:
        return f"it did not answer HTTP/2 within {timeout:g} s"
    if answer.startswith((b"HTTP/", b"<")):  # a status line, or an HTTP/0.9-style error page
        return "it answered as an HTTP server"
    return "it answered, but not as a gRPC server does"


def check_token(address: str) -> dict[str, str]:
    """A :class:`TLError` unless the GCS at ``address`` takes this driver's auth (one request: Ray's
    own connect retries a refused token 20 times, a second apart, each a warning on stderr, and
    what answers there without being a Ray GCS for minutes), else its live nodes (one more request):
    node id (hex) -> the address it registered. Ray's warning is kept off stderr."""
    from ray._raylet import GcsClient  # noqa: PLC0415 - optional, private
    from ray.core.generated.gcs_pb2 import GcsNodeInfo  # noqa: PLC0415 - optional
    from ray.exceptions import AuthenticationError, RpcError  # noqa: PLC0415 - optional

    try:
        with _quiet_stderr():
            gcs = GcsClient(address=address, cluster_id=None)
            alive = gcs.get_all_node_info(timeout=ANSWER_TIMEOUT, state_filter=GcsNodeInfo.GcsNodeState.ALIVE)
        return {node_id.hex(): node.node_manager_address for node_id, node in alive.items()}
    except AuthenticationError:
        given = os.environ.get("RAY_AUTH_MODE", "").lower() == "token"
        why = (
            "the token given is not the cluster's" if given else "no token given (RAY_AUTH_MODE is not token)"
        )
        raise TLError(
            f"the Ray cluster at {address} refused this driver: {why}; a cluster with token auth needs "
            "RAY_AUTH_MODE=token and its token in RAY_AUTH_TOKEN, RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token"
        ) from None
    except RpcError as exc:
        raise TLError(f"no Ray cluster at {address}: {first_line(exc)} (is it a Ray head's port?)") from None


def check_node_here(address: str, nodes: dict[str, str]) -> None:
    """A :class:`TLError` unless this machine runs one of ``nodes`` (the cluster's, from
    :func:`check_token`): a driver joins the cluster through a node of its own machine, found among
    the local raylets as Ray finds it, where Ray waits 60 s and then says "No node info found"."""
    from ray._private.services import find_node_ids  # noqa: PLC0415 - optional, private

    if not nodes.keys() & set(find_node_ids()):
        raise TLError(
            f"this machine runs no node of the Ray cluster at {address}: run the sweep on one of its "
            f"nodes (its head), or first join this machine to it with `ray start --address {address}`"
        )


def check_apart(address: str, timeout: float = CHECK_TIMEOUT) -> None:
    """What :meth:`RaySession.check` says of ``address`` (the CLI's check before a sweep exists), as a
    :class:`TLError` with the same line, without importing Ray here: a dead or non-Ray port is refused
    in this process, the token (and a node of the cluster on this machine) asked in a child Python
    process with this process's environment (that a launched driver inherits)."""
    check_reachable(address)
    command = [sys.executable, "-m", "tlcore.runs.executors.ray_session", address]  # its main()
    try:
        child = subprocess.run(
            command, check=False, capture_output=True, text=True, env=child_env(), timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise TLError(f"the check of the Ray cluster at {address} did not end within {timeout:g} s") from None
    if child.returncode == 0:
        return
    said = child.stdout.strip().splitlines() or child.stderr.strip().splitlines() or ["no output"]
    raise TLError(
        said[-1] if child.returncode == 2 else f"the check of the Ray cluster at {address} failed: {said[-1]}"
    )


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """File descriptor 2 to /dev/null meanwhile (Ray's C++ logging writes there, not to ``sys.stderr``)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        os.close(null)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def first_line(exc: Exception) -> str:
    """The first line of an exception's message (Ray's run on for lines), else its type's name."""
    return next(iter(str(exc).strip().splitlines()), type(exc).__name__)
