"""Blob storage: the local folder and S3 (moto's standalone server) pass the same tests."""

from __future__ import annotations

import hashlib
import io
import uuid

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from accord import dbmigrate
from accord.catalog import service as catalog
from accord.errors import InvalidInput, NotFound
from accord.runtime import build
from accord.storage import LocalBlobStore, S3BlobStore, open_store
from tests.catalog.conftest import dataset_and_draft, make_tree
from tests.conftest import make_settings

DATA = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
SHA = hashlib.sha256(DATA).hexdigest()


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(s3_endpoint, monkeypatch) -> str:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    bucket = f"accord-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket=bucket)
    return bucket


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    return S3BlobStore(
        request.getfixturevalue("s3_bucket"), "blobs/", endpoint_url=request.getfixturevalue("s3_endpoint")
    )


def _read(store, sha=SHA) -> bytes:
    with store.open(sha) as f:
        return f.read()


def test_a_file_put_by_hash_reads_back_with_its_size(store, tmp_path):
    src = tmp_path / "in.png"
    src.write_bytes(DATA)
    assert not store.exists(SHA)
    store.put_file(SHA, src)
    assert store.exists(SHA) and store.size(SHA) == len(DATA) and _read(store) == DATA


def test_a_stream_and_bytes_are_stored_the_same_way(store):
    store.put_stream(SHA, io.BytesIO(DATA))
    other = b"other bytes"
    other_sha = hashlib.sha256(other).hexdigest()
    store.put_bytes(other_sha, other)
    assert _read(store) == DATA and _read(store, other_sha) == other


def test_put_many_stores_each_content_once_and_returns_only_the_new_hashes(store):
    store.put_bytes(SHA, DATA)
    new = [b"first", b"second"]
    pairs = [(SHA, DATA)] + [(hashlib.sha256(d).hexdigest(), d) for d in new + new]
    assert store.put_many(pairs) == {hashlib.sha256(d).hexdigest() for d in new}
    assert [_read(store, sha) for sha, _ in pairs] == [DATA, *new, *new]
    assert store.put_many(pairs) == set()


def test_putting_an_existing_blob_again_keeps_the_first_copy(store, tmp_path):
    store.put_bytes(SHA, DATA)
    src = tmp_path / "wrong.bin"
    src.write_bytes(b"not the same content")
    store.put_file(SHA, src)  # content-addressed: same name means same bytes, so it is skipped
    assert _read(store) == DATA


def test_a_temp_file_is_committed_under_its_hash_and_removed(store):
    tmp = store.temp_path()
    tmp.write_bytes(DATA)
    store.put_temp(tmp, SHA)
    assert not tmp.exists() and _read(store) == DATA
    again = store.temp_path()
    again.write_bytes(DATA)
    store.put_temp(again, SHA)
    assert not again.exists()


def test_a_deleted_or_missing_blob_is_not_found(store):
    store.put_bytes(SHA, DATA)
    store.delete(SHA)
    assert not store.exists(SHA)
    with pytest.raises(NotFound):
        store.open(SHA)
    with pytest.raises(NotFound):
        store.size(SHA)


@pytest.mark.parametrize("name", ["../etc/passwd", "ABC", "0" * 63, "g" * 64])
def test_a_name_that_is_not_a_sha256_is_refused(store, name):
    with pytest.raises(InvalidInput):
        store.exists(name)


def test_only_s3_gives_presigned_urls_and_they_serve_the_blob(store):
    store.put_bytes(SHA, DATA)
    url = store.presigned_url(SHA, expires_in=60, filename="image.png")
    if isinstance(store, LocalBlobStore):
        assert url is None and store.open(SHA).read() == DATA
        return
    assert store.local_path(SHA) is None
    response = httpx.get(url)
    assert response.status_code == 200 and response.content == DATA
    assert 'filename="image.png"' in response.headers["content-disposition"]


def test_an_unknown_storage_url_scheme_is_refused(tmp_path):
    with pytest.raises(InvalidInput, match="unsupported ACCORD_STORAGE_URL scheme"):
        open_store(make_settings(tmp_path, storage_url="ftp://host/blobs"))


def test_an_ingest_into_s3_stores_every_blob_and_the_manifest_in_the_bucket(s3_endpoint, s3_bucket, tmp_path):
    settings = make_settings(tmp_path, storage_url=f"s3://{s3_bucket}/accord", s3_endpoint_url=s3_endpoint)
    rt = build(settings)
    dbmigrate.upgrade(rt.engine)
    assert isinstance(rt.store, S3BlobStore)
    source = make_tree(tmp_path / "src", n=6)
    with rt.session() as db:
        _, version = dataset_and_draft(db)
    result = catalog.ingest(rt, version.id, source, actor="cli")
    with rt.session() as db:
        items = catalog.list_items(db, version.id)
    assert result.file_count == len(items) == 8
    for item in items:
        with rt.store.open(item.sha256) as blob:
            assert hashlib.sha256(blob.read()).hexdigest() == item.sha256
    stream = catalog.manifest_path_or_stream(rt, version.id)
    assert hashlib.sha256(stream.read()).hexdigest() == result.root_hash
    rt.engine.dispose()
