"""A fake CPH for the tests of code that calls it: FakeCph, an httpx transport (sync and async) that answers as the
spec this wheel carries says the service does, with a catalog of your choosing (Catalog), faults a test switches on,
and every request recorded. With pytest, the `cph_fake` fixture gives a fresh one to each test
(cph_client.testing.pytest_plugin, loaded by pytest through the wheel's entry point).

    from cph_client import paging
    from cph_client.testing import Catalog, FakeCph

    fake = FakeCph(Catalog.build(public=3, private=2, shared=1))
    with fake.client() as client:
        assert [i.image_id for i in paging.images(client, fake.project_id, limit=2)] == fake.catalog.ids()

It needs nothing beyond the client's own dependencies. asgi_app(fake) serves it to any ASGI server.

Hand-written (client_extras/testing/ in cph-conformance), shipped in the wheel by `make generate`.
"""

from .asgi import asgi_app
from .catalog import Catalog, Image, image_id
from .contract import Contract
from .engine import Answer, Call, Credentials, Engine
from .fake import FakeCph, Received, Recorded

__all__ = [
    "Answer",
    "Call",
    "Catalog",
    "Contract",
    "Credentials",
    "Engine",
    "FakeCph",
    "Image",
    "Received",
    "Recorded",
    "asgi_app",
    "image_id",
]
