"""Facts read out of Huawei's documentation page (openapi/source/), so tests compare the spec with the page
itself rather than with a second copy of its facts."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PAGE = Path(__file__).resolve().parent.parent / "openapi" / "source" / "querying-the-image-of-a-cloud-phone.txt"


@dataclass(frozen=True)
class DocFacts:
    method: str
    path: str
    image_types: list[str]
    labels: dict[str, str]  # label -> the server flavour it applies to
    is_public: dict[int, str]
    max_bytes: dict[str, int]
    phone_image_fields: list[str]
    header: str
    example: dict[str, Any]


def _section(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end, text.index(start))]


def read() -> DocFacts:
    text = PAGE.read_text(encoding="utf-8")
    method, path = re.search(r"^(GET|POST|PUT|DELETE) (/v1/\S+)$", text, re.M).groups()  # type: ignore[union-attr]
    types = re.search(r"The value can be (.+?)\.\n", text).group(1)  # type: ignore[union-attr]
    image_types = re.findall(r"(\w+) \(\w+ images\)", types)
    phone_image = _section(text, "Table 5 PhoneImage", "Example Requests")
    labels = dict(re.findall(r"• ([a-z]\w*): (.+)", phone_image))
    is_public = {int(k): v for k, v in re.findall(r"• (\d): (.+)", phone_image)}
    fields = re.findall(r"^\n([a-z_]+)\n\n(?:String|Integer|Boolean)\n", phone_image, re.M)
    max_bytes = {
        field: int(n)
        for field, n in re.findall(r"^([a-z_]+)\n\nString\n\n[^\n]*?maximum of (\d+) bytes", phone_image, re.M)
    }
    header = _section(text, "Table 3 Request header parameters", "Response Parameters")
    header_name = re.search(r"^(X-[\w-]+)$", header, re.M).group(1)  # type: ignore[union-attr]
    body = _section(text, "Example Responses", "Status Codes")
    example = json.loads(body[body.index("{") : body.rindex("}") + 1])
    return DocFacts(method, path, image_types, labels, is_public, max_bytes, fields, header_name, example)
