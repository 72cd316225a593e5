"""The mock's image catalog: the page's example images plus generated ones, as cph_client.testing's Catalog builds
them from openapi/cph.yaml (the one engine the wheel's fake CPH answers from too).

Every value set comes from the spec (labels, is_public, receive_status), so a label added to the spec shows up
here without an edit. With at least MIN_COVERING images, the catalog holds every label as a public and as a
private image, and a shared image in every receive_status.
"""

from __future__ import annotations

import functools

from cph_client.testing.catalog import Catalog, Image
from cph_client.testing.contract import Contract

from cph_conformance import settings, spec

__all__ = ["DEFAULT_SIZE", "MIN_COVERING", "Catalog", "Image", "build", "contract"]

DEFAULT_SIZE = int(settings.BY_NAME["CPH_MOCK_IMAGES"].default)  # unless told otherwise (CPH_MOCK_IMAGES, --images)


@functools.cache
def contract() -> Contract:
    """The facts the engine answers by, from openapi/cph.yaml as this project reads it (not the wheel's copy, which
    `make generate` refreshes)."""
    return Contract(spec.load())


MIN_COVERING = Catalog.covering_size(contract())


def build(size: int) -> Catalog:
    """A catalog of `size` images: the page's example first, then generated kinds in a fixed cycle."""
    return Catalog.generated(size, contract())
