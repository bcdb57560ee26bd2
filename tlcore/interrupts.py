"""SIGTERM read as Ctrl-C (a scheduler's ``timeout``, ``kill``, ``docker stop``): while
:func:`sigterm_cancels` holds, the signal raises :class:`KeyboardInterrupt` in the main thread, so
whatever handles Ctrl-C handles it too: every CLI command ends with ``error: interrupted`` and exit
130, a run executed inside (:func:`tlcore.runs.jobs.execute`) closes ``cancelled``, a sweep driven
inside cancels its trials. No torch."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def sigterm_cancels() -> Iterator[None]:
    """Meanwhile SIGTERM raises :class:`KeyboardInterrupt` in the main thread (elsewhere: nothing
    changes); the previous handler is put back after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
