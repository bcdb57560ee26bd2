"""An embedded cluster in a process that imported Ray before tlstudio (a notebook's ``import ray``):
``python -m tests.sweeps.ray_imported_first`` prints what a test checks, as JSON."""

from __future__ import annotations

import json
import socket

import ray  # first, without RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER: Ray resolves the node to the main address
from ray._private import ray_constants, services

from tlcore.runs.executors.ray_session import RaySession


def answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def main() -> None:
    main_address = services.node_ip_address_from_perspective()  # where Ray would otherwise bind
    session = RaySession(None)
    session.open()
    try:
        port = int(ray.get_runtime_context().gcs_address.rpartition(":")[2])
        seen = {
            "main_address": main_address,
            "node": ray.util.get_node_ip_address(),
            "gcs_on_loopback": answers("127.0.0.1", port),
            "gcs_on_main_address": answers(main_address, port),
        }
    finally:
        session.close()
    seen["ray_setting_put_back"] = ray_constants.ENABLE_RAY_CLUSTER
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
