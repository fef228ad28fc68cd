"""The object stores for the file store's tests, each started once per test session (and
worker) on its first use."""

import contextlib
import uuid

import pytest

from portal.declarations.models import DeclarationStatus
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


@pytest.fixture
def approved(make_unit, make_professional, make_submitted_declaration):
    """张三丰's declaration, approved: ready for a publicity batch."""
    return make_submitted_declaration(
        make_professional(unit=make_unit(), name="张三丰"),
        status=DeclarationStatus.APPROVED,
        general_hours=30,
        professional_hours=60,
        total_hours=90,
        compliant=True,
    )


@pytest.fixture
def draft_claim(request, make_professional, make_unit):
    """(person, claim): a professional's draft declaration with one training claim, to upload
    evidence to."""
    declare = request.getfixturevalue("make_declaration")  # imported above
    person = make_professional(unit=make_unit(), keeps_old_rules=True)
    claims = ({"kind": "training", "facts": {"days": 3}, "subject": "professional"},)
    return person, declare(person, claims=claims).claims[0]
