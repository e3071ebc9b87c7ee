import hashlib
import io
import tarfile

from hypothesis import given, settings
from hypothesis import strategies as st

from accord.delivery.tarshard import Member, Shard, plan

names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="/\0\\", exclude_categories=("Cs",)),
    min_size=1,
    max_size=20,
)
paths = st.lists(names, min_size=1, max_size=7).map("/".join)  # some exceed 100 chars: PAX headers


def build(files: dict[str, bytes]):
    blobs = {hashlib.sha256(b).hexdigest(): b for b in files.values()}
    members = [Member(p, len(b), hashlib.sha256(b).hexdigest()) for p, b in sorted(files.items())]
    return Shard(members, mtime=1_700_000_000), (lambda sha: io.BytesIO(blobs[sha]))


files_strategy = st.dictionaries(paths, st.binary(max_size=3000), min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(files=files_strategy)
def test_a_shard_is_a_valid_tar_with_exactly_the_members(files):
    shard, open_blob = build(files)
    data = b"".join(shard.read(0, shard.size, open_blob))
    assert len(data) == shard.size
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        got = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    assert got == files


@settings(max_examples=60, deadline=None)
@given(files=files_strategy, data=st.data())
def test_any_range_equals_the_same_slice_of_the_whole_shard(files, data):
    shard, open_blob = build(files)
    whole = b"".join(shard.read(0, shard.size, open_blob, chunk=7))
    start = data.draw(st.integers(0, shard.size))
    end = data.draw(st.integers(start, shard.size))
    assert b"".join(shard.read(start, end, open_blob, chunk=5)) == whole[start:end]


def test_shards_are_deterministic():
    files = {"a/1.jpg": b"x" * 700, "b/2.jpg": b"y" * 10}
    one, open_one = build(files)
    two, open_two = build(dict(reversed(list(files.items()))))
    assert one.etag == two.etag and one.size == two.size
    assert b"".join(one.read(0, one.size, open_one)) == b"".join(two.read(0, two.size, open_two))


def test_plan_cuts_sorted_members_into_shards_near_the_target():
    members = [Member(f"f{i:03}", 400, "0" * 64) for i in range(10)]
    shards = plan(members, target=3000)
    assert [m.path for s in shards for m in s] == sorted(m.path for m in members)
    assert all(sum(m.size + 1024 for m in s) <= 3000 for s in shards) and len(shards) == 5


def test_a_file_larger_than_the_target_gets_a_shard_of_its_own():
    shards = plan([Member("big", 10_000, "0" * 64), Member("small", 1, "0" * 64)], target=1000)
    assert [[m.path for m in s] for s in shards] == [["big"], ["small"]]
