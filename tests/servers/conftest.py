"""The object stores for the file store's tests, each started once per test session (and
worker) on its first use."""

import contextlib
import uuid

import pytest

from tests.declarations.conftest import make_declaration  # noqa: F401 (the fixture, shared)
from tests.services import KINDS, object_store


@pytest.fixture(scope="session")
def object_servers(tmp_path_factory):
    """kind -> ObjectStore: moto's server mode and SeaweedFS over HTTP (tests/services.py)."""
    with contextlib.ExitStack() as stack:
        started = {}

        def get(kind):
            if kind not in started:
                folder = tmp_path_factory.mktemp(kind)
                started[kind] = stack.enter_context(object_store(kind, folder))
            return started[kind]

        yield get


@pytest.fixture(params=KINDS)
def object_server(request, object_servers):
    return object_servers(request.param)


def on_object_store(app, server):
    """The app with its files in `server`'s bucket, under a prefix of its own."""
    app.config.update(server.config(prefix=f"t-{uuid.uuid4().hex[:10]}/"))
    app.extensions.pop("file_store", None)
    return app


@pytest.fixture
def s3_app(app, object_server):
    return on_object_store(app, object_server)
