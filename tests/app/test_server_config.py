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
