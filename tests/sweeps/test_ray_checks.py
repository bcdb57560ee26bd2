"""The checks of an explicit Ray address, without a cluster: a port where something other than a Ray
GCS answers is refused in one line by what it answered, before Ray is imported (Ray waited 45 s);
the app's check asks the token in a child process and says what the CLI says."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from fake_ports import SETTINGS_FRAME, answering, http_server, refusing_ray

from tlcore.errors import TLError
from tlcore.runs.executors.ray_checks import check_node_here, check_reachable
from tlcore.runs.executors.ray_session import import_ray
from tlcore.runs.sweep_store import SweepStore
from tlcore.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
SWEEP = ["sweep", "--source", "mnist5k", "--target", "digits", "--methods", "im", "--executor", "ray"]


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (b"HTTP/1.1 400 Bad Request\r\n\r\n", "it answered as an HTTP server"),
        (b"SSH-2.0-OpenSSH_9.6\r\n", "it answered, but not as a gRPC server does"),
        (b"", "it did not answer HTTP/2 within 0.2 s"),
    ],
)
def test_a_port_answering_as_no_ray_gcs_does_is_refused_by_what_it_answered(answer: bytes, said: str) -> None:
    with answering(answer) as address, pytest.raises(TLError) as refused:
        check_reachable(address, answer_timeout=0.2)
    assert str(refused.value) == f"{address} is not a Ray cluster ({said})"


def test_a_port_answering_as_a_grpc_server_passes_and_tls_skips_the_probe(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with answering(SETTINGS_FRAME) as address:
        check_reachable(address, answer_timeout=0.2)
    monkeypatch.setenv("RAY_USE_TLS", "1")  # Ray's processes speak TLS: plain HTTP/2 would not be answered
    with answering(b"") as address:
        check_reachable(address, answer_timeout=0.2)


def test_the_cli_refuses_an_http_server_in_one_line_before_ray_is_imported(tmp_path: Path) -> None:
    """Ray's own connect waited 45 s for a GCS there, then the sweep failed."""
    ws = str(tmp_path / "ws")
    probe = "\n".join(
        [
            "import sys",
            "from tlcore.cli import main",
            "code = main(sys.argv[1:])",
            "print('ray' in sys.modules)",
        ]
    )
    probe += "\nsys.exit(code)"
    with http_server() as address:
        child = subprocess.run(
            [sys.executable, "-c", probe, "--workspace", ws, *SWEEP, f"--address={address}"],
            capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
        )  # fmt: skip
    assert child.returncode == 2 and child.stdout == "False\n", child.stderr
    assert child.stderr == f"error: {address} is not a Ray cluster (it answered as an HTTP server)\n"
    assert SweepStore(Workspace.resolve(ws)).list() == []


def test_the_apps_check_says_the_clis_line_for_a_refused_token_without_importing_ray(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA helper-162: the Sweep page launched a sweep on a cluster that refused its token; only the
    failed background sweep said so. Ray's refusal is stood in for in every Python started here."""
    monkeypatch.setenv("PYTHONPATH", f"{refusing_ray(tmp_path / 'site')}:{ROOT}")
    for name in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH"):
        monkeypatch.delenv(name, raising=False)
    ws = str(tmp_path / "ws")
    apart = "\n".join(
        [
            "import sys",
            "from tlcore.errors import TLError",
            "from tlcore.runs.executors.ray_checks import check_apart",
            "try:",
            "    check_apart(sys.argv[1])",
            "except TLError as exc:",
            "    print(exc)",
            "print('ray' in sys.modules)",
        ]
    )
    with answering(SETTINGS_FRAME) as address:
        cli = subprocess.run(
            [sys.executable, "-m", "tlcore", "--workspace", ws, *SWEEP, f"--address={address}"],
            capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
        )  # fmt: skip
        app = subprocess.run(
            [sys.executable, "-c", apart, address], capture_output=True, text=True, check=False
        )
    assert cli.returncode == 2 and cli.stderr.count("\n") == 1, cli.stderr
    line = cli.stderr.removeprefix("error: ").rstrip("\n")
    assert line.startswith(f"the Ray cluster at {address} refused this driver: no token given"), line
    assert app.stdout == f"{line}\nFalse\n", app.stderr  # the CLI's line; Ray not loaded in the app's process
    assert SweepStore(Workspace.resolve(ws)).list() == []


def _imported(stderr: str) -> tuple[set[str], list[str]]:
    """What ``python -X importtime`` says a child imported (each module's name), and the rest of its
    stderr, line by line."""
    lines = stderr.splitlines()
    said = [line for line in lines if line.startswith("import time:")]
    return {line.rpartition("|")[2].strip() for line in said}, [line for line in lines if line not in said]


def test_a_dead_address_or_a_refused_token_is_one_line_before_torch_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`sweep --executor ray --address` read its methods from the registry, which loads torch (seconds),
    before it checked the address: a port where nothing listens is refused before torch or Ray loads,
    a token the cluster refuses (RAY_AUTH_MODE) before torch loads. Ray's refusal is stood in for."""
    ws = str(tmp_path / "ws")
    with socket.socket() as held:  # a port nothing listens on once it is closed
        held.bind(("127.0.0.1", 0))
        closed = f"127.0.0.1:{held.getsockname()[1]}"
    command = [sys.executable, "-X", "importtime", "-m", "tlcore", "--workspace", ws, *SWEEP]
    dead = subprocess.run(
        [*command, f"--address={closed}"], capture_output=True, text=True, cwd=ROOT, timeout=60, check=False
    )
    modules, rest = _imported(dead.stderr)
    assert dead.returncode == 2 and rest == [
        f"error: no Ray cluster at {closed}: Connection refused (is `ray start --head` running there?)"
    ]
    assert "tlcore.cli" in modules and "torch" not in modules and "ray" not in modules
    monkeypatch.setenv("PYTHONPATH", f"{refusing_ray(tmp_path / 'site')}:{ROOT}")
    for name in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH"):
        monkeypatch.delenv(name, raising=False)
    with answering(SETTINGS_FRAME) as address:
        refused = subprocess.run(
            [*command, f"--address={address}"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
            check=False,
        )
    modules, rest = _imported(refused.stderr)
    assert refused.returncode == 2 and len(rest) == 1, rest
    assert rest[0].startswith(f"error: the Ray cluster at {address} refused this driver: no token given")
    assert "ray" in modules and "torch" not in modules
    assert SweepStore(Workspace.resolve(ws)).list() == []


def test_a_driver_on_a_machine_running_none_of_the_clusters_nodes_is_refused_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """QA helper-257: Ray connects a driver through a node of its own machine; on another machine it
    waited 60 s and then said "No node info found matching attributes". This machine's raylets are
    stood in for (Ray finds them among its processes)."""
    import_ray()
    from ray._private import services  # noqa: PLC0415 - where Ray finds this machine's raylets

    monkeypatch.setattr(services, "find_node_ids", lambda: {"b" * 56})  # another cluster's node runs here
    nodes = {"a" * 56: "10.0.0.5", "c" * 56: "10.0.0.6"}
    with pytest.raises(TLError) as refused:
        check_node_here("10.0.0.5:6379", nodes)
    assert str(refused.value) == (
        "this machine runs no node of the Ray cluster at 10.0.0.5:6379: run the sweep on one of its nodes "
        "(its head), or first join this machine to it with `ray start --address 10.0.0.5:6379`"
    )
    monkeypatch.setattr(services, "find_node_ids", lambda: {"b" * 56, "c" * 56})  # joined with ray start
    check_node_here("10.0.0.5:6379", nodes)
