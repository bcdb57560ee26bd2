"""The server defaults in ``.streamlit/config.toml`` suit a shared demo, and Streamlit reads them."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

from tlcore.limits import MIB, Limits

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".streamlit" / "config.toml"
SAFE = {
    "server.address": "localhost",  # nothing beyond this machine unless asked for
    "server.enableXsrfProtection": True,
    "server.maxUploadSize": Limits().max_upload_bytes // MIB,  # Streamlit counts MiB
    "client.showErrorDetails": "type",  # no message, no traceback for unexpected errors
    # no gc.collect(2) after each script run: a full walk of the server's objects every 2 s that the
    # Adapt page's run panel refreshes (QA helper-169: its idle page cost the server a sixth of a core)
    "runner.postScriptGC": False,
}
# What Streamlit itself makes of the file (a misspelt key would be ignored with a mere warning).
READ_BACK = f"""
import json
from streamlit import config
config.get_config_options(force_reparse=True)
print(json.dumps({{key: config.get_option(key) for key in {list(SAFE)!r}}}))
"""


def test_config_file_sets_the_shared_demo_defaults() -> None:
    settings = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    flat = {f"{section}.{key}": value for section, table in settings.items() for key, value in table.items()}
    assert {key: flat.get(key) for key in SAFE} == SAFE
    assert SAFE["server.maxUploadSize"] * MIB == Limits().max_upload_bytes


def test_streamlit_reads_the_same_values() -> None:
    done = subprocess.run(
        [sys.executable, "-c", READ_BACK], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == SAFE


# A process that asks twice, then exits holding 5000 lists: they are frozen when its last handler runs.
FROZEN_AT_EXIT = """
import atexit, gc
atexit.register(lambda: print(gc.get_freeze_count()))  # the last handler to run
from app_support.server import freeze_at_exit
before = atexit._ncallbacks()
freeze_at_exit()
freeze_at_exit()
print(atexit._ncallbacks() - before)
alive = [[i] for i in range(5000)]
"""


def test_the_server_freezes_what_is_alive_at_exit_once() -> None:
    """The served app stopped 3.6 to 4.8 s after SIGTERM, Python's exit-time collection walking torch's
    and umap's objects; frozen at exit (gc.freeze), the collection skips them: it stops in about 1 s."""
    done = subprocess.run(
        [sys.executable, "-c", FROZEN_AT_EXIT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    added, frozen = map(int, done.stdout.split())
    assert added == 1 and frozen > 5000  # without it: 0
