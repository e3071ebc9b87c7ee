"""Small blobs live in packs: readable, seekable, deduplicated, really erased on delete, crash-safe."""

import hashlib
import io
import os
import threading

import pytest

from accord.blobpacks import PACK_MAX_BLOB
from accord.storage import LocalBlobStore


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def store(tmp_path):
    return LocalBlobStore(tmp_path / "blobs")


def packs(store):
    return sorted((store.root / "packs").glob("*.pack"))


def test_a_small_blob_goes_into_a_pack_and_a_large_one_stays_a_file(store):
    small, large = b"s" * 1000, b"L" * (PACK_MAX_BLOB + 1)
    store.put_bytes(sha(small), small)
    store.put_bytes(sha(large), large)
    assert store.local_path(sha(small)) is None and store.open(sha(small)).read() == small
    assert store.local_path(sha(large)).read_bytes() == large
    assert len(packs(store)) == 1 and store.size(sha(small)) == 1000


def test_a_packed_blob_reads_like_a_file(store):
    data = bytes(range(256)) * 10
    store.put_bytes(sha(data), data)
    with store.open(sha(data)) as f:
        f.seek(300)
        assert f.read(10) == data[300:310]
        f.seek(-5, io.SEEK_END)
        assert f.read() == data[-5:] and f.read() == b""


def test_the_same_content_is_stored_once(store):
    for _ in range(3):
        store.put_bytes(sha(b"same"), b"same")
    assert os.path.getsize(packs(store)[0]) == 4


def test_put_many_appends_small_blobs_to_one_pack_and_keeps_large_ones_as_files(store):
    blobs = [i.to_bytes(2, "big") * (50 + i) for i in range(300)] + [b"L" * (PACK_MAX_BLOB + 1)]
    assert store.put_many([(sha(b), b) for b in blobs]) == {sha(b) for b in blobs}
    assert len(packs(store)) == 1 and os.path.getsize(packs(store)[0]) == sum(len(b) for b in blobs[:300])
    assert all(store.open(sha(b)).read() == b for b in blobs)
    assert store.local_path(sha(blobs[-1])) is not None and store.local_path(sha(blobs[0])) is None


def test_blobs_put_unindexed_become_readable_only_when_their_rows_are_added(store, tmp_path):
    rows = []
    blobs = [b"one", b"two", b"one"]
    assert store.put_many([(sha(b), b) for b in blobs], unindexed=rows) == {sha(b"one"), sha(b"two")}
    assert len(rows) == 2 and not store.exists(sha(b"one"))
    store.add_index(rows)
    fresh = LocalBlobStore(tmp_path / "blobs")
    assert [fresh.open(sha(b)).read() for b in blobs] == blobs


def test_put_many_finishes_a_short_write(store, monkeypatch):
    # writev may write less than asked (a signal, a full pipe); the rest must follow, in order.
    real = os.writev
    monkeypatch.setattr(os, "writev", lambda fd, buffers: real(fd, [memoryview(buffers[0])[:7]]))
    blobs = [b"abcdefghij", b"klmnopqrstuvwxyz", b"0123"]
    store.put_many([(sha(b), b) for b in blobs])
    monkeypatch.undo()
    assert [store.open(sha(b)).read() for b in blobs] == blobs
    assert packs(store)[0].read_bytes() == b"".join(blobs)


def test_a_failed_write_indexes_nothing_and_the_next_blobs_go_to_a_new_pack(store, monkeypatch):
    store.put_many([(sha(b"before"), b"before")])

    def disk_full(fd, buffers):
        os.write(fd, bytes(buffers[0])[:3])  # part of the chunk reached the file
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "writev", disk_full)
    with pytest.raises(OSError):
        store.put_many([(sha(b"lost one"), b"lost one"), (sha(b"lost two"), b"lost two")])
    monkeypatch.undo()
    assert not store.exists(sha(b"lost one"))
    store.put_many([(sha(b"after"), b"after")])
    assert len(packs(store)) == 2
    assert [store.open(sha(b)).read() for b in (b"before", b"after")] == [b"before", b"after"]


def test_inside_a_batch_blobs_become_readable_together_at_its_end(store):
    with store.batch():
        store.put_bytes(sha(b"one"), b"one")
        other = threading.Thread(target=lambda: seen.append(store.exists(sha(b"one"))))
        seen = []
        other.start()
        other.join()
        assert seen == [False]
    assert store.exists(sha(b"one"))


def test_a_batch_that_fails_indexes_nothing(store, tmp_path):
    # Its bytes stay in the pack, unreferenced; a killed writer leaves the same: nothing points at them.
    store.put_bytes(sha(b"before"), b"before")
    with pytest.raises(RuntimeError), store.batch():
        store.put_bytes(sha(b"lost"), b"lost")
        raise RuntimeError("crash")
    fresh = LocalBlobStore(tmp_path / "blobs")
    assert sorted(fresh.list_blobs()) == [sha(b"before")]
    store.put_bytes(sha(b"lost"), b"lost")  # a re-run stores it again
    assert fresh.open(sha(b"lost")).read() == b"lost"


def test_threads_write_their_own_packs_without_interleaving(store):
    blobs = [os.urandom(5000) for _ in range(200)]

    def put(part):
        with store.batch():
            for b in part:
                store.put_bytes(sha(b), b)

    threads = [threading.Thread(target=put, args=(blobs[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(packs(store)) == 4
    assert all(store.open(sha(b)).read() == b for b in blobs)


def test_deleting_a_packed_blob_erases_its_bytes(store):
    secret, neighbour = b"face-of-a-person" * 10, b"someone-else" * 10
    store.put_bytes(sha(secret), secret)
    store.put_bytes(sha(neighbour), neighbour)
    store.delete(sha(secret))
    raw = packs(store)[0].read_bytes()
    assert secret not in raw and neighbour in raw
    assert not store.exists(sha(secret)) and store.open(sha(neighbour)).read() == neighbour


def test_many_threads_opening_a_new_index_at_once_all_succeed(tmp_path):
    # Switching a new SQLite file to WAL does not wait for other connections; this once failed an ingest.
    for round_ in range(5):
        store = LocalBlobStore(tmp_path / f"blobs{round_}")
        start = threading.Barrier(8)
        errors = []

        def put(n, store=store, start=start, errors=errors):
            start.wait()
            try:
                store.put_bytes(sha(bytes([n])), bytes([n]))
            except Exception as exc:
                errors.append(exc)

        threads = [threading.Thread(target=put, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [] and len(list(store.list_blobs())) == 8
