"""Every test sees the same terminal: ``$COLUMNS`` so wide that the CLI's prose
(:func:`tlcore.cli.output.wrapped`) stays on one line, whatever terminal pytest runs in (its width
would otherwise leak into the output through :func:`shutil.get_terminal_size`). A test of the
wrapping sets its own width."""

import pytest

UNWRAPPED = "100000"  # terminal columns: no sentence the CLI prints is this long


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", UNWRAPPED)
