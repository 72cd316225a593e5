"""The JSON files a run leaves for a later run (observed.json, the history): each says what it is ("file") and the
format of its layout, and reading one back refuses any other, naming the setting that named it, without writing to
it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class Unusable(ValueError):
    """A file a setting names that this version cannot use: the message names the setting and the file, says what is
    wrong and what to do. The run stops before it starts (exit 2)."""


def read(path: Path, setting: str, kind: str, layout: int, what: str, advice: str) -> dict[str, Any]:
    """The file at path, if it is a `kind` file of format `layout`; else Unusable ("<setting>='<path>' ...",
    `what` naming the kind in words)."""
    where = f"{setting}={str(path)!r}"
    try:
        data = json.loads(path.read_bytes())
    except OSError as exc:
        raise Unusable(f"{where} cannot be read: {exc.strerror or exc}. {advice}") from None
    except ValueError as exc:
        raise Unusable(f"{where} is not JSON ({exc}): a corrupt file? It was left as it is. {advice}") from None
    if not isinstance(data, dict) or data.get("file") != kind:
        raise Unusable(f"{where} is not {what}; it was left as it is. {advice}")
    if data.get("format") != layout:
        raise Unusable(
            f"{where} is {what} of format {data.get('format')!r}; this version reads format {layout} only. {advice}"
        )
    return data
