"""The fake's image catalog: which images a project sees, split by the spec's image types, and cut into pages.

    Catalog.generated(60)                      # the page's example images, then every kind of image in turn
    Catalog.build(public=3, private=2, shared=1, labels=["cloud_game"])
    Catalog([PhoneImage(...), ...])            # images of your own (models or dicts)

Each image's type comes from the spec (the selector's x-selects: an is_public value, or a field an image carries),
and the order of the listing of every type from its union; label, is_public and receive_status values from the spec's
enums. Images are the generated PhoneImage model's dicts, so a field the spec renames is a type error here.

Hand-written (client_extras/testing/ in cph-conformance), shipped in the wheel by `make generate`.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import orjson

from ..models import ImageType, IsPublic, PhoneImage, ReceiveStatus
from .contract import Contract

__all__ = ["Catalog", "Image", "image_id"]

Image = dict[str, Any]
# Sample OS names for generated images (the page's example shows AOSP7.1.1); any text within the spec's bounds would do.
OS_NAMES = ("AOSP7.1.1", "AOSP10.0.0", "AOSP11.0.0", "AOSP12.0.0")

# Wire names of the fields the catalog reads, from the generated model: a probe image with a distinct value in each.
_PROBE = PhoneImage(
    image_name="name", os_type="type", is_public=IsPublic.PUBLIC, os_name="os", image_label="label", image_id="id"
)
IMAGE_ID = next(key for key, value in _PROBE.to_dict().items() if value == _PROBE.image_id)


def image_id(text: str, contract: Contract | None = None) -> str:
    """An image_id shaped like Huawei's (lower-case hex, as long as the ids of the page's example), the same for the
    same text."""
    contract = contract or Contract.packaged()
    length = len(str(contract.example_images[0][IMAGE_ID]))
    return hashlib.sha256(text.encode()).hexdigest()[:length]


class Catalog:
    """Images by type, in the service's order; a listing of every type is their union in the spec's order. A catalog
    does not change: plus() makes a new one (its images' JSON is encoded once, for every page)."""

    def __init__(self, images: Iterable[PhoneImage | Mapping[str, Any]] = (), contract: Contract | None = None) -> None:
        self.contract = contract or Contract.packaged()
        rules = self.contract.selects
        self.unions = {t: list(rule["union"]) for t, rule in rules.items() if "union" in rule}
        kinds = [t for t in rules if t not in self.unions]
        grouped: dict[str, list[Image]] = {kind: [] for kind in kinds}
        for image in images:
            wire = image.to_dict() if isinstance(image, PhoneImage) else dict(image)
            grouped[self.kind_of(wire)].append(wire)
        self._selections: dict[str | None, tuple[Image, ...]] = {k: tuple(v) for k, v in grouped.items()}
        for union, members in self.unions.items():
            self._selections[union] = tuple(i for member in members for i in self._selections[member])
        # No image_type lists what the union of every type lists: the page leaves it open, and this is the superset.
        (widest,) = (u for u, members in self.unions.items() if set(members) == set(kinds))
        self._selections[None] = self._selections[widest]
        self._positions = {k: {i[IMAGE_ID]: n for n, i in enumerate(v)} for k, v in self._selections.items()}
        self._encoded: dict[str | None, tuple[bytes, ...]] = {}
        listed = self._selections[None]
        if len(self._positions[None]) != len(listed):
            raise ValueError("two images of the catalog have the same image_id")

    def kind_of(self, image: Mapping[str, Any]) -> str:
        """The one type, not a union, whose rule holds for image: a field it carries decides first."""
        rules = {t: r for t, r in self.contract.selects.items() if t not in self.unions}
        carried = [t for t, rule in rules.items() if rule.get("carries") in image]
        matched = carried or [
            t
            for t, rule in rules.items()
            if "carries" not in rule and all(image.get(k) == v for k, v in rule.items() if not k.startswith("x-"))
        ]
        if len(matched) != 1:
            raise ValueError(f"image {image.get(IMAGE_ID)!r} is of no one image type of the spec: {matched}")
        return matched[0]

    # --- what a listing holds ---------------------------------------------------------------------------------------

    def select(self, image_type: str | None = None) -> tuple[Image, ...]:
        """The images of a type (every image for None), in the service's order."""
        return self._selections[None if image_type is None else str(image_type)]

    def page(self, image_type: str | None, marker: str | None, limit: int) -> tuple[Sequence[Image], str | None]:
        """The images after marker (the image_id that ended the previous page), and the next marker.

        A marker that names no image of this selection gives an empty last page."""
        start, end, next_marker = self.span(image_type, marker, limit)
        return self.select(image_type)[start:end], next_marker

    def span(self, image_type: str | None, marker: str | None, limit: int) -> tuple[int, int, str | None]:
        """Where page() starts and ends in the listing of image_type, and its next marker."""
        key = None if image_type is None else str(image_type)
        selection = self._selections[key]
        start = 0
        if marker is not None:
            position = self._positions[key].get(marker)
            if position is None:
                return len(selection), len(selection), None
            start = position + 1
        end = min(start + limit, len(selection))
        return start, end, (selection[end - 1][IMAGE_ID] if end < len(selection) and end > start else None)

    def encoded(self, image_type: str | None = None) -> tuple[bytes, ...]:
        """The images of a listing as JSON, each encoded once (a page joins them)."""
        key = None if image_type is None else str(image_type)
        if key not in self._encoded:
            self._encoded[key] = tuple(orjson.dumps(image) for image in self._selections[key])
        return self._encoded[key]

    def ids(self, image_type: str | None = None) -> list[str]:
        """The image_ids of a listing, in order: what paging through it gives."""
        return [str(image[IMAGE_ID]) for image in self.select(image_type)]

    def models(self, image_type: str | None = None) -> list[PhoneImage]:
        """The images of a listing as the client reads them."""
        return [PhoneImage.from_dict(image) for image in self.select(image_type)]

    @property
    def public(self) -> tuple[Image, ...]:
        return self.select(ImageType.PUBLIC)

    @property
    def private(self) -> tuple[Image, ...]:
        """Owned by the project."""
        return self.select(ImageType.PRIVATE)

    @property
    def shared(self) -> tuple[Image, ...]:
        """Shared with the project by others."""
        return self.select(ImageType.SHARE)

    def __len__(self) -> int:
        return len(self.select(None))

    def __iter__(self) -> Iterator[Image]:
        return iter(self.select(None))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Catalog) and self._selections == other._selections

    __hash__ = None  # type: ignore[assignment]  # mutable-looking and compared by value

    def __repr__(self) -> str:
        counts = ", ".join(f"{kind}={len(self.select(kind))}" for kind in self.contract.selects)
        return f"Catalog({counts})"

    def plus(self, *images: PhoneImage | Mapping[str, Any]) -> Catalog:
        """This catalog with more images, each listed after those of its type."""
        return Catalog([*self.select(None), *images], self.contract)

    # --- builders ---------------------------------------------------------------------------------------------------

    @classmethod
    def covering_size(cls, contract: Contract | None = None) -> int:
        """The smallest generated() catalog that holds every label as a public and as a private image, and a shared
        image in every receive_status, besides the page's example images."""
        contract = contract or Contract.packaged()
        return len(contract.example_images) + len(contract.enum("ImageLabel")) * len(_kinds(contract))

    @classmethod
    def generated(cls, size: int | None = None, contract: Contract | None = None) -> Catalog:
        """size images (covering_size() when None): the page's example images first, then generated kinds of image
        (public, private, shared in each receive_status) with every label, in a fixed cycle. The same size gives the
        same catalog: cph-conformance's mock serves this one."""
        contract = contract or Contract.packaged()
        size = cls.covering_size(contract) if size is None else size
        examples = contract.example_images
        if size < len(examples):
            raise ValueError(f"the catalog needs at least the page's {len(examples)} example images, not {size}")
        combos = itertools.islice(
            itertools.cycle(itertools.product(_kinds(contract), contract.enum("ImageLabel"))), size - len(examples)
        )
        generated = [
            _image(f"mock-image-{n:05d}", f"cph-mock-image-{n}", kind, label, n, contract)
            for n, (kind, label) in enumerate(combos)
        ]
        return cls([*examples, *generated], contract)

    @classmethod
    def build(
        cls,
        public: int = 0,
        private: int = 0,
        shared: int = 0,
        *,
        labels: Sequence[str] | None = None,
        contract: Contract | None = None,
    ) -> Catalog:
        """So many public, private and shared images, with labels taken in turn from labels (every label of the
        spec when None), shared images in each receive_status in turn, ids shaped like Huawei's."""
        contract = contract or Contract.packaged()
        labels = list(labels) if labels is not None else contract.enum("ImageLabel")
        if not labels:
            raise ValueError("labels must name at least one image_label")
        (public_kind, private_kind, *shared_kinds) = _kinds(contract)
        kinds = [
            *[("public", public_kind)] * public,
            *[("private", private_kind)] * private,
            *zip(["shared"] * shared, itertools.cycle(shared_kinds), strict=False),
        ]
        counters: dict[str, int] = {}
        images = []
        for n, (name, kind) in enumerate(kinds):
            count = counters[name] = counters.get(name, 0) + 1
            label = labels[n % len(labels)]
            images.append(_image(f"{name}-image-{count:05d}", f"cph-fake-{name}-{count}", kind, label, n, contract))
        return cls(images, contract)


Kind = tuple[int, int | None]  # (is_public, receive_status)


def _kinds(contract: Contract) -> list[Kind]:
    """(is_public, receive_status) of each kind of image, in the order generated() cycles through them: public,
    private, then shared (private, carrying a receive_status) in each receive_status."""
    public, private = contract.enum("IsPublic")
    return [(public, None), (private, None)] + [(private, status) for status in contract.enum("ReceiveStatus")]


def _image(name: str, seed: str, kind: Kind, label: str, n: int, contract: Contract) -> Image:
    is_public, receive_status = kind
    example = PhoneImage.from_dict(contract.example_images[0])
    image = PhoneImage(
        image_name=name,
        os_type=example.os_type,
        is_public=IsPublic(is_public),
        os_name=OS_NAMES[n % len(OS_NAMES)],
        image_label=label,
        image_id=image_id(seed, contract),
        is_support_encrypt=n % 2 == 0,
    )
    if receive_status is not None:
        image.receive_status = ReceiveStatus(receive_status)
    return image.to_dict()
