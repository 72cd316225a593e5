"""The mock's deterministic image catalog: the page's example images plus generated ones.

Every value set comes from the spec (labels, is_public, receive_status), so a label added to the spec shows up
here without an edit. With at least MIN_COVERING images, the catalog holds every label as a public and as a
private image, and a shared image in every receive_status.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cph_conformance import settings, spec

Image = dict[str, Any]
OS_VERSIONS = ("AOSP7.1.1", "AOSP10.0.0", "AOSP11.0.0", "AOSP12.0.0")
DEFAULT_SIZE = int(settings.BY_NAME["CPH_MOCK_IMAGES"].default)  # unless told otherwise (CPH_MOCK_IMAGES, --images)


def _kinds() -> list[tuple[int, int | None]]:
    """(is_public, receive_status) of each kind of image, in the order the generator cycles through them."""
    public, private = spec.enum("IsPublic")
    return [(public, None), (private, None)] + [(private, status) for status in spec.enum("ReceiveStatus")]


MIN_COVERING = len(spec.example_response()["phone_images"]) + len(spec.enum("ImageLabel")) * len(_kinds())


def _generated(n: int, is_public: int, receive_status: int | None, label: str) -> Image:
    image: Image = {
        "image_name": f"mock-image-{n:05d}",
        "os_type": "aosp",
        "is_public": is_public,
        "os_name": OS_VERSIONS[n % len(OS_VERSIONS)],
        "image_label": label,
        "image_id": hashlib.sha256(f"cph-mock-image-{n}".encode()).hexdigest()[:32],
        "is_support_encrypt": n % 2 == 0,
    }
    if receive_status is not None:
        image["receive_status"] = receive_status
    return image


@dataclass(frozen=True)
class Catalog:
    public: tuple[Image, ...]
    private: tuple[Image, ...]  # owned by the project
    shared: tuple[Image, ...]  # shared with the project by others; they carry receive_status
    _selections: dict[str | None, tuple[Image, ...]] = field(init=False, repr=False, compare=False)
    _positions: dict[str | None, dict[str, int]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        every = self.public + self.private + self.shared
        # No image_type lists everything, as `all` does: the page leaves it open and this is the superset.
        selections = {"public": self.public, "private": self.private, "share": self.shared, "all": every, None: every}
        if set(selections) - {None} != set(spec.enum("ImageType")):
            raise ValueError(f"the spec's ImageType {spec.enum('ImageType')} has values the mock cannot select")
        object.__setattr__(self, "_selections", selections)
        positions = {k: {image["image_id"]: i for i, image in enumerate(v)} for k, v in selections.items()}
        object.__setattr__(self, "_positions", positions)

    def __len__(self) -> int:
        return len(self.public) + len(self.private) + len(self.shared)

    def select(self, image_type: str | None) -> tuple[Image, ...]:
        """The images of a type in the service's order: public, then private, then shared."""
        return self._selections[image_type]

    def page(self, image_type: str | None, marker: str | None, limit: int) -> tuple[Sequence[Image], str | None]:
        """The images after marker (the image_id that ended the previous page), and the next marker.

        A marker that names no image of this selection gives an empty last page.
        """
        selection = self.select(image_type)
        start = 0
        if marker is not None:
            position = self._positions[image_type].get(marker)
            if position is None:
                return (), None
            start = position + 1
        images = selection[start : start + limit]
        more = start + limit < len(selection)
        return images, (images[-1]["image_id"] if more and images else None)


def build(size: int) -> Catalog:
    """A catalog of `size` images: the page's example first, then generated kinds in a fixed cycle."""
    examples = [dict(image) for image in spec.example_response()["phone_images"]]
    if size < len(examples):
        raise ValueError(f"the catalog needs at least the page's {len(examples)} example images, not {size}")
    combos = itertools.islice(
        itertools.cycle(itertools.product(_kinds(), spec.enum("ImageLabel"))), size - len(examples)
    )
    generated = [_generated(n, *kind, label) for n, (kind, label) in enumerate(combos)]
    every = examples + generated
    public_value, _ = spec.enum("IsPublic")
    return Catalog(
        public=tuple(i for i in every if i["is_public"] == public_value),
        private=tuple(i for i in every if i["is_public"] != public_value and "receive_status" not in i),
        shared=tuple(i for i in every if "receive_status" in i),
    )
