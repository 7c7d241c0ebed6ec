"""The database's JSON text of a root field, carried to the response as it is.

The compiled path puts a `RawJSON` in `ExecutionResult.data` for each root field; the one
response encoder (`dumps`, the HTTP view's and the WebSocket's) splices its text verbatim,
so the answer is neither parsed nor encoded again in Python. That holds only because the
database writes exactly what orjson would (compact, the same escapes: render.py and
dialect.py), which the differential test checks byte for byte. A consumer that reads
values rather than sending them (the CSV export, the standard library's encoder) takes
`materialised(data)`, which parses."""

from __future__ import annotations

from typing import Any

import orjson


class RawJSON:
    """JSON text (str or UTF-8 bytes) to be written into a response unchanged."""

    __slots__ = ("text",)

    def __init__(self, text: str | bytes):
        self.text = text

    def __repr__(self) -> str:
        return f"RawJSON({self.text[:60]!r}…)"


def _fragment(value: Any) -> Any:
    if isinstance(value, RawJSON):
        return orjson.Fragment(value.text)
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


def dumps(data: Any) -> bytes:
    """orjson, with each RawJSON's text spliced in as it is."""
    return orjson.dumps(data, default=_fragment)


def materialised(data: Any) -> Any:
    """`data` with every RawJSON parsed into Python values (the containers above it copied)."""
    if isinstance(data, RawJSON):
        return orjson.loads(data.text)
    if isinstance(data, dict):
        return {key: materialised(value) for key, value in data.items()}
    if isinstance(data, list):
        return [materialised(value) for value in data]
    return data
