"""The app's cold start: ``streamlit run app.py`` until headless Chromium shows a rendered Diagnose page.

The app runs as a subprocess (bench never imports streamlit) on a free localhost port with a fresh
temporary workspace. The clock starts before the process is launched and stops when the Diagnose
page (the page file app.py registers as ``diagnose.py``, at ``/diagnose``) shows its gap cards for
the default pair and Streamlit's "running" indicator has been gone for a moment.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
RUNNING = '[data-testid="stStatusWidget"]'  # present while a script run is in progress
RENDERED = '[data-testid="stMetric"]'  # the Diagnose page's gap cards: shown once the report is computed
DIAGNOSE_PAGE = re.compile(r"""st\.Page\(\s*["']([^"']*diagnose\.py)["']""")
QUIET_S = 1.0  # the page must stay idle this long to count as rendered


def free_port() -> int:
    """A TCP port on localhost that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def not_measured(root: Path) -> str | None:
    """Why the cold start cannot be measured here, or ``None`` when it can."""
    app = root / "app.py"
    page = DIAGNOSE_PAGE.search(app.read_text()) if app.is_file() else None
    if page is None or not (root / page.group(1)).is_file():
        return "app.py registers no diagnose.py page"
    if not Path(CHROMIUM).is_file():
        return f"{CHROMIUM} not installed"
    try:
        import playwright.sync_api  # noqa: F401, PLC0415 - optional: only this step needs it
    except ImportError:
        return "playwright not installed"
    return None


def _wait_rendered(page: Any, deadline: float) -> None:
    """Until the gap cards show and no script run has been in progress for ``QUIET_S``."""
    page.wait_for_selector(RENDERED, timeout=max(deadline - time.monotonic(), 1) * 1000)
    quiet_since = time.monotonic()
    while time.monotonic() - quiet_since < QUIET_S:
        if time.monotonic() > deadline:
            raise TimeoutError("the Diagnose page kept running past the deadline")
        if page.locator(RUNNING).count():
            quiet_since = time.monotonic()
        page.wait_for_timeout(100)


def measure_cold_start(root: Path, timeout_s: float = 180.0) -> dict[str, Any]:
    """Seconds from launching the app to a rendered Diagnose page (``status`` says if not measured)."""
    reason = not_measured(root)
    if reason:
        return {"status": "not measured", "note": reason}
    from playwright.sync_api import Error as PlaywrightError  # noqa: PLC0415
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="tlstudio-bench-") as workspace:
        env = {**os.environ, "TLSTUDIO_WORKSPACE": workspace}
        command = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless=true",
            f"--server.port={port}",
            "--server.address=127.0.0.1",
            "--browser.gatherUsageStats=false",
        ]
        start = time.monotonic()
        deadline = start + timeout_s
        log = Path(workspace) / "streamlit.log"
        with log.open("wb") as sink:
            app = subprocess.Popen(command, cwd=root, env=env, stdout=sink, stderr=subprocess.STDOUT)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
                page = browser.new_page()
                url = f"http://127.0.0.1:{port}/diagnose"
                while True:  # the server is not listening yet right after the launch
                    try:
                        page.goto(url, timeout=max(deadline - time.monotonic(), 1) * 1000)
                        break
                    except PlaywrightError:
                        if time.monotonic() > deadline or app.poll() is not None:
                            raise
                        time.sleep(0.1)
                _wait_rendered(page, deadline)
                seconds = time.monotonic() - start - QUIET_S
                browser.close()
        except (PlaywrightError, TimeoutError) as exc:
            tail = " | ".join(log.read_text(errors="replace").splitlines()[-3:])
            return {"status": "failed", "note": f"{str(exc).splitlines()[0][:160]} (app log: {tail[:200]})"}
        finally:
            app.terminate()
            try:
                app.wait(timeout=10)
            except subprocess.TimeoutExpired:
                app.kill()
                app.wait()
    return {"status": "measured", "seconds": seconds, "url_path": "/diagnose"}
