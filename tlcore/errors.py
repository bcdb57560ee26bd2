"""One exception type for every user-facing failure.

Anything a user can cause (a bad spec, a corrupt upload, a missing dataset, a run id that does not
exist) raises :class:`TLError` with one readable sentence. The CLI prints it as one line and exits
non-zero; the app shows it in an error box. Anything else is a bug and keeps its traceback.
"""


class TLError(Exception):
    """A user-facing error whose message is one readable line."""
