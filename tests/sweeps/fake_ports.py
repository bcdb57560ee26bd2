"""Ports on 127.0.0.1 that answer as something other than a Ray cluster, or as a Ray GCS's gRPC
server starts to (an HTTP/2 SETTINGS frame), and a child Python whose Ray refuses the driver's token:
what the checks of an explicit Ray address meet, without a cluster."""

from __future__ import annotations

import contextlib
import http.server
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path

SETTINGS_FRAME = bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])  # what a gRPC server sends first: empty SETTINGS
REFUSED = "RPC error: InvalidAuthToken: Authentication token is missing or incorrect"  # Ray's words
REFUSING_RAY = f"""
import os
import sys

if any(arg.startswith("tlcore") for arg in sys.orig_argv):  # python -m tlcore, or its Ray check
    from ray import _raylet, exceptions

    def refusing(**_):
        os.write(2, b"[W gcs_client.cc:210] Failed to get cluster ID from GCS server\\n")  # as Ray's C++
        raise exceptions.AuthenticationError({REFUSED!r})

    _raylet.GcsClient = refusing
"""


class _Answering(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        with contextlib.suppress(OSError):  # the client gone
            self.request.recv(64)  # the client's first bytes (HTTP/2's preface)
            if self.server.answer:  # type: ignore[attr-defined]
                self.request.sendall(self.server.answer)  # type: ignore[attr-defined]
            self.request.recv(64)  # until the client closes


@contextlib.contextmanager
def serving(server: socketserver.TCPServer) -> Iterator[str]:
    """``server`` serving in a thread meanwhile; its ``HOST:PORT``."""
    server.daemon_threads = True  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextlib.contextmanager
def answering(answer: bytes) -> Iterator[str]:
    """A port that answers whatever it is sent with ``answer`` (``b""``: reads, then stays silent)."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Answering)
    server.answer = answer  # type: ignore[attr-defined]
    with serving(server) as address:
        yield address


@contextlib.contextmanager
def http_server() -> Iterator[str]:
    """Python's own HTTP/1 server (it answers HTTP/2's preface with an error page alone)."""
    handler = http.server.SimpleHTTPRequestHandler
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    with serving(http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)) as address:
        yield address


def refusing_ray(folder: Path) -> str:
    """A folder for ``PYTHONPATH`` whose ``sitecustomize`` makes each ``python -m tlcore...`` started
    with it refuse the driver's token as a token-auth Ray cluster does (Ray's GCS client replaced, Ray
    imported for it; other Pythons left alone); the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(REFUSING_RAY, encoding="utf-8")
    return str(folder)
