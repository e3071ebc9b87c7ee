"""HTTP Range requests (RFC 9110 §14): parsing into half-open byte intervals."""

from __future__ import annotations

from accord.errors import AccordError

MAX_RANGES = 16  # more than this is more likely an amplification attempt than a real client


class RangeNotSatisfiable(AccordError):
    def __init__(self, size: int):
        super().__init__(f"the requested range is outside the file (size {size} bytes)")
        self.size = size


def parse(header: str | None, size: int) -> list[tuple[int, int]] | None:
    """Return [(start, end)] (end exclusive), or None when the whole file should be sent.

    A syntactically invalid header is ignored (the full file is sent, as RFC 9110 asks); a valid one that
    selects no byte raises RangeNotSatisfiable. Overlapping ranges are merged, in request order otherwise.
    """
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or not spec.strip():
        return None
    ranges: list[tuple[int, int]] = []
    parts = [p.strip() for p in spec.split(",")]
    if len(parts) > MAX_RANGES:
        return None
    for part in parts:
        first, dash, last = part.partition("-")
        if not dash:
            return None
        first, last = first.strip(), last.strip()
        if not (first.isdigit() or first == "") or not (last.isdigit() or last == "") or (not first and not last):
            return None
        if not first:  # suffix: the last N bytes
            n = int(last)
            if n == 0:
                continue
            ranges.append((max(size - n, 0), size))
            continue
        start = int(first)
        end = size if not last else min(int(last) + 1, size)
        if last and int(last) < start:
            return None
        if start >= size:
            continue
        ranges.append((start, end))
    if not ranges:
        raise RangeNotSatisfiable(size)
    return _merge(ranges)


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    ordered = sorted(ranges)
    merged = [ordered[0]]
    for start, end in ordered[1:]:
        last_start, last_end = merged[-1]
        if start <= last_end:
            merged[-1] = (last_start, max(last_end, end))
        else:
            merged.append((start, end))
    return merged
