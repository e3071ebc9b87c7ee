import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.delivery.ranges import RangeNotSatisfiable, parse


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", [(0, 100)]),
        ("bytes=100-", [(100, 1000)]),
        ("bytes=-100", [(900, 1000)]),
        ("bytes=990-5000", [(990, 1000)]),
        ("bytes=0-9,20-29", [(0, 10), (20, 30)]),
        ("bytes=0-50,25-75", [(0, 76)]),
        ("bytes=-5000", [(0, 1000)]),
    ],
)
def test_valid_ranges(header, expected):
    assert parse(header, 1000) == expected


@pytest.mark.parametrize(
    "header",
    ["", None, "bytes", "bytes=", "items=0-1", "bytes=a-b", "bytes=5-1", "bytes=-", "bytes=1-2-3", "bytes=0-1," * 20],
)
def test_malformed_headers_are_ignored_and_the_whole_file_is_sent(header):
    assert parse(header, 1000) is None


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5000-6000", "bytes=-0"])
def test_ranges_that_select_nothing_are_not_satisfiable(header):
    with pytest.raises(RangeNotSatisfiable):
        parse(header, 1000)


@given(size=st.integers(1, 10_000), data=st.data())
def test_parsed_ranges_select_exactly_the_requested_bytes(size, data):
    content = bytes(i % 251 for i in range(size))
    specs = data.draw(st.lists(st.tuples(st.integers(0, size * 2), st.integers(0, size * 2)), min_size=1, max_size=4))
    header = "bytes=" + ",".join(f"{min(a, b)}-{max(a, b)}" for a, b in specs)
    try:
        ranges = parse(header, size)
    except RangeNotSatisfiable:
        assert all(min(a, b) >= size for a, b in specs)
        return
    wanted = set()
    for a, b in specs:
        lo, hi = min(a, b), max(a, b)
        wanted |= set(range(lo, min(hi + 1, size)))
    got = set()
    for start, end in ranges:
        assert 0 <= start < end <= size
        got |= set(range(start, end))
        assert content[start:end] == bytes(i % 251 for i in range(start, end))
    assert got == wanted
