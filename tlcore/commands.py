"""The ``python -m tlcore`` command lines the engine prints for its user to run next (the CLI's follow-up
lines, Diagnose's adapt suggestion, ``runs rank``'s and the sweeps' commands, the app's): one writer,
:func:`command_line`, so that each is quoted for a shell and carries the ``--workspace`` it needs. The
rule: a printed command, pasted into a shell in the same folder, works.

Which ``--workspace`` (every builder's ``workspace`` keyword): the CLI passes the one it was given
(``args.workspace``; None when it read ``$TLSTUDIO_WORKSPACE`` or ``./workspace``, as the pasted command
does too); the app passes :func:`app_workspace` of its folder: None for ``./workspace``, else its
absolute path (set through ``$TLSTUDIO_WORKSPACE``, which the user's shell may lack). Where only the
workspace's folder is known (an engine error, an upload's row in ``data list``), :func:`command_in` names
it as the app does.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from tlcore.workspace import DEFAULT

PROGRAM = ("python", "-m", "tlcore")


def command_line(*words: str, workspace: str | None = None) -> str:
    """The ``python -m tlcore`` command of ``words``, with ``--workspace workspace`` when one is given
    (QA helper-250: without it the command looked in ./workspace and found no such run), quoted for a
    shell: ``python -m tlcore --workspace '/tmp/my ws' runs show ID``."""
    where = ["--workspace", workspace] if workspace is not None else []
    return shlex.join([*PROGRAM, *where, *words])


def app_workspace(root: Path) -> str | None:
    """The ``--workspace`` the commands of a process that resolved its workspace ``root`` by itself (the
    app: ``$TLSTUDIO_WORKSPACE`` or ``./workspace``) carry: None for ``./workspace`` of the current folder
    (where a shell there looks without the variable), else ``root``'s absolute path."""
    return None if root == Path(DEFAULT).resolve() else str(root)


def command_in(root: Path, *words: str) -> str:
    """:func:`command_line` of ``words`` with the ``--workspace`` of :func:`app_workspace` of ``root``: the
    commands the engine's messages name where they know the workspace's folder, not how the user named
    it (an error raised deep in a command, an upload's row in ``data list``); the same in the CLI and the
    app. A sentence a record stores gets no workspace (the folder may move): it is given one when shown."""
    return command_line(*words, workspace=app_workspace(root))
