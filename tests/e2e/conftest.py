"""One app server for the browser tests that drive one session each and need no workspace of their
own (the newcomer's flow, the own data's, the theme): each server costs a start, a first script run
that imports the engine, and a stop."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.harness import serve


@pytest.fixture(scope="package")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app served on a free port with a workspace of its own; yields its URL."""
    with serve(tmp_path_factory.mktemp("workspace")) as url:
        yield url
