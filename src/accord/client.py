"""A small Python client for Accord's API: list a licensee's files and download them, resumable and verified.

    from accord.client import Client
    c = Client("https://data.lab.example", token="acc_...")
    c.download("shhq", to="data/shhq")            # parallel, resumes .part files, checks every sha256

Usable from a notebook; `accord download` is this with a progress bar. The same client applies, signs, follows
applications and decides them (accord.client_access), which is how `accord apply` and `accord applications`
work from a laptop with a token. Its errors live in accord.client_errors and are importable from here.
"""

from __future__ import annotations

import errno
import hashlib
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import httpx

from accord.client_access import AccessCalls
from accord.client_errors import TOKEN_REFUSED as TOKEN_REFUSED
from accord.client_errors import AccessEnded as AccessEnded
from accord.client_errors import ClientError as ClientError
from accord.client_errors import SignatureInvalid as SignatureInvalid
from accord.client_errors import TokenRefused as TokenRefused
from accord.client_errors import code_of, reason_of
from accord.client_errors import refusal as refusal

CHUNK = 1024 * 1024
PAGE = 1000
PROOF_MANIFEST, PROOF_SIGNATURE = "manifest.jsonl", "manifest.sig"
SUMS = "SHA256SUMS"


@dataclass(frozen=True)
class RemoteFile:
    path: str
    size: int
    sha256: str
    url: str


def safe_target(root: Path, path: str) -> Path:
    """Where a listed file goes; a path that would land outside `root` is refused (never trust a server)."""
    parts = PurePosixPath(path).parts
    if not parts or PurePosixPath(path).is_absolute() or any(p in ("..", "") for p in parts):
        raise ClientError(f"refusing to write outside the target folder: {path!r}")
    return root.joinpath(*parts)


def sums_line(sha256: str, path: str) -> str:
    """One line of GNU coreutils' checksum format; a name with a backslash or line break is escaped the way
    sha256sum escapes it (the line then starts with a backslash)."""
    if not any(c in path for c in "\\\n\r"):
        return f"{sha256}  {path}\n"
    escaped = path.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    return f"\\{sha256}  {escaped}\n"


def write_sums(root: Path, manifest: bytes) -> Path:
    """SHA256SUMS for `sha256sum -c SHA256SUMS` in the download folder, from the verified manifest alone, with
    paths relative to the folder. Written to a temporary file and renamed, so it is never half there. A dataset
    with a file of that name at its top keeps its own; ours then goes in .accord/ (check it with
    `sha256sum -c .accord/SHA256SUMS`)."""
    import json

    entries = [json.loads(line) for line in manifest.decode().splitlines() if line.strip()]
    folder = root / ".accord" if any(e["path"] == SUMS for e in entries) else root
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / SUMS
    part = folder / f".{SUMS}.part"
    with open(part, "w", encoding="utf-8", newline="") as f:
        f.writelines(sums_line(e["sha256"], e["path"]) for e in entries)
        f.flush()
        os.fsync(f.fileno())
    os.replace(part, target)
    return target


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


class Client(AccessCalls):
    def __init__(
        self,
        server: str,
        token: str,
        *,
        retries: int = 5,
        backoff: float = 0.5,
        timeout: float = 60,
        transport: httpx.BaseTransport | None = None,
        signing_cert: bytes | None = None,
    ):
        self.server = server.rstrip("/")
        # The platform certificate (PEM) that must have signed each manifest. Without one pinned, the one the
        # server publishes (GET /api/v1/signing-key) is used: that proves which files this server delivered, but
        # guards against a tampering server only if its fingerprint is checked against one from elsewhere.
        self.signing_cert = signing_cert
        self.retries, self.backoff = retries, backoff
        # JSON refusals carry the whole reason and its code (plain text is for curl and wget)
        self.http = httpx.Client(
            base_url=self.server,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=timeout,
            follow_redirects=True,
            transport=transport,
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- the API ------------------------------------------------------------------------------------------

    def _get_json(self, url: str, **params) -> dict:
        response = self._request("GET", url, params=params)
        return response.json()

    def _request(self, method: str, url: str, *, repeatable: bool = True, **kwargs) -> httpx.Response:
        """With retries and backoff for network errors and 5xx; 4xx are final. A request that changes something
        (`repeatable=False`) is sent again only when it never left: applying or approving twice is worse than
        stopping with the error."""
        for attempt in range(self.retries + 1):
            try:
                response = self.http.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                unsent = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout))
                if not (repeatable or unsent):
                    raise ClientError(
                        f"the connection to {self.server} broke before its answer came ({exc}); "
                        "it may have been done: look before trying again"
                    ) from None
                if attempt == self.retries:
                    raise ClientError(f"cannot reach {self.server}: {exc}") from None
            else:
                if response.status_code < 400:
                    return response
                if response.status_code < 500 or not repeatable or attempt == self.retries:
                    raise refusal(response)
            time.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable")

    def latest_version(self, dataset: str) -> str:
        versions = [v for v in self._get_json(f"/api/v1/datasets/{dataset}/versions") if v["status"] == "published"]
        if not versions:
            raise ClientError(f"{dataset} has no published version")
        return versions[-1]["label"]

    def listing(self, dataset: str, version: str, *, offset: int = 0, limit: int = PAGE) -> dict:
        return self._get_json(f"/api/v1/datasets/{dataset}/versions/{version}/files", offset=offset, limit=limit)

    def files(self, dataset: str, version: str) -> Iterator[RemoteFile]:
        offset = 0
        while True:
            page = self.listing(dataset, version, offset=offset)
            for f in page["files"]:
                yield RemoteFile(f["path"], f["size"], f["sha256"], f["url"])
            offset += len(page["files"])
            if not page["files"] or offset >= page["file_count"]:
                return

    # --- downloading --------------------------------------------------------------------------------------

    def download(
        self,
        dataset: str,
        *,
        to: str | Path,
        version: str | None = None,
        workers: int = 4,
        progress: Callable[[int], None] | None = None,
        on_total: Callable[[int, int], None] | None = None,
    ) -> list[Path]:
        """Fetch every file of the version into `to`, resuming partial files and verifying each sha256."""
        root = Path(to)
        version = version or self.latest_version(dataset)
        wanted = list(self.files(dataset, version))
        manifest, signature = self.verify_listing(dataset, version, wanted)
        if on_total:
            on_total(len(wanted), sum(f.size for f in wanted))
        root.mkdir(parents=True, exist_ok=True)
        self._keep_proof(root, wanted, manifest, signature)
        done: list[Path] = []
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = [
                pool.submit(self._fetch, dataset, version, f, safe_target(root, f.path), progress) for f in wanted
            ]
            try:
                for future in as_completed(futures):
                    done.append(future.result())
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
        write_sums(root, manifest)  # only now: every file is here and matched the signed manifest
        return done

    def verify_listing(self, dataset: str, version: str, wanted: list[RemoteFile]) -> tuple[bytes, bytes]:
        """The manifest must carry the platform's signature, hash to the version's root hash and list exactly
        these files. Returns the manifest and its signature."""
        import json

        page = self.listing(dataset, version, limit=1)
        body = self._request("GET", page["manifest_url"]).content
        if not page.get("manifest_sig_url"):
            raise ClientError("the server offers no signature for the manifest; nothing was downloaded")
        signature = self._request("GET", page["manifest_sig_url"]).content
        check_signature(body, signature, self.signing_cert or self.signing_key())
        if hashlib.sha256(body).hexdigest() != page["root_hash"]:
            raise ClientError("the manifest does not match the version's root hash; nothing was downloaded")
        listed = {f.path: f.sha256 for f in wanted}
        manifest = {e["path"]: e["sha256"] for e in map(json.loads, body.decode().splitlines()) if e}
        if manifest != listed:
            raise ClientError("the file list does not match the manifest; nothing was downloaded")
        return body, signature

    def export(self, dataset: str, version: str, what: str, **params) -> bytes:
        """An export of a published version (bibtex, ris, cff, croissant, licence-record), as the server sends it."""
        path = "licence-record" if what == "licence-record" else f"export/{what}"
        return self._request("GET", f"/api/v1/datasets/{dataset}/versions/{version}/{path}", params=params).content

    def dashboard(self, dataset: str | None = None, *, weeks: int = 26) -> dict:
        """The dashboard's numbers across the datasets the token's owner curates, or for one dataset."""
        return self._get_json(f"/api/v1/datasets/{dataset}/dashboard" if dataset else "/api/v1/dashboard", weeks=weeks)

    def signing_key(self) -> bytes:
        """The platform's certificate and public key (PEM), as the server publishes them."""
        return self._request("GET", "/api/v1/signing-key").content

    @staticmethod
    def _keep_proof(root: Path, wanted: list[RemoteFile], manifest: bytes, signature: bytes) -> None:
        """manifest.jsonl and manifest.sig stay with the files: proof of what the platform delivered. A dataset
        with files of those names at its top keeps its own; the proof then goes in .accord/."""
        names = {f.path for f in wanted}
        folder = root / ".accord" if names & {PROOF_MANIFEST, PROOF_SIGNATURE} else root
        folder.mkdir(parents=True, exist_ok=True)
        (folder / PROOF_MANIFEST).write_bytes(manifest)
        (folder / PROOF_SIGNATURE).write_bytes(signature)

    def _fetch(
        self, dataset: str, version: str, remote: RemoteFile, target: Path, progress: Callable[[int], None] | None
    ) -> Path:
        if target.exists() and target.stat().st_size == remote.size and sha256_of(target) == remote.sha256:
            if progress:
                progress(remote.size)
            return target  # already here from an earlier run
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + ".part")
        url = remote.url
        digest = None
        for attempt in range(self.retries + 1):
            have = part.stat().st_size if part.exists() else 0
            if have > remote.size:
                part.unlink()
                have = 0
            try:
                # Hashed as it arrives: the file is not read a second time to verify it.
                digest = _hash_prefix(part, have)
                if have < remote.size:
                    digest = self._append(url, part, have, progress, digest)
                break
            except _LinkExpired:
                url = self._fresh_url(dataset, version, remote)  # links live minutes; the listing renews them
            except (httpx.TransportError, _ServerError) as exc:
                if attempt == self.retries:
                    raise ClientError(f"{remote.path}: giving up after {self.retries} retries ({exc})") from None
                time.sleep(self.backoff * 2**attempt)
        assert digest is not None  # each attempt hashes what is there before anything can fail
        if digest.hexdigest() != remote.sha256:
            part.unlink()  # a corrupt copy is never resumed from
            raise ClientError(f"{remote.path}: the downloaded bytes do not match the manifest's sha256")
        os.replace(part, target)
        return target

    def _append(self, url: str, part: Path, have: int, progress, digest):
        """Fetch the rest of the file into `part`; returns the sha256 state of the whole file."""
        headers = {"Range": f"bytes={have}-"} if have else {}
        with self.http.stream("GET", url, headers=headers) as response:
            if response.status_code == 403:
                response.read()
                reason, code = reason_of(response), code_of(response)
                if code == "link_expired" or (not code and "expired" in reason and "download link" in reason):
                    raise _LinkExpired(reason)  # links live minutes: a fresh listing renews them
                # revoked, expired, paused for new terms, outside the site: say why
                raise AccessEnded(reason, status=403, code=code)
            if response.status_code >= 500:
                raise _ServerError(f"HTTP {response.status_code}")
            if response.status_code >= 400:
                response.read()
                raise refusal(response)
            mode = "ab" if response.status_code == 206 else "wb"  # 200: the server sent it all again
            if mode == "wb":
                digest = hashlib.sha256()  # the whole file again: so is its hash
            try:
                with open(part, mode) as out:
                    for chunk in response.iter_bytes(CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
                        if progress:
                            progress(len(chunk))
            except OSError as exc:
                if exc.errno == errno.ENOSPC:
                    raise ClientError(f"the disk is full; {part} is kept and the next run resumes it") from None
                raise
        return digest

    def _fresh_url(self, dataset: str, version: str, remote: RemoteFile) -> str:
        for f in self.files(dataset, version):
            if f.path == remote.path:
                return f.url
        raise ClientError(f"{remote.path} is no longer listed")


def check_signature(manifest: bytes, signature: bytes, cert_pem: bytes) -> None:
    """Raise SignatureInvalid unless `signature` is the platform's (the certificate's key) over these bytes."""
    from accord import signing
    from accord.errors import InvalidInput

    try:
        cert = signing.load_cert(cert_pem)
    except InvalidInput:
        raise ClientError("the platform certificate is not a PEM certificate") from None
    if not signing.verifies(manifest, signature, cert):
        raise SignatureInvalid(
            "the manifest's signature does not verify with the platform certificate "
            f"(SHA-256 fingerprint {signing.fingerprint(cert)}): it was altered, or the certificate is not the "
            "one that signed it; nothing was downloaded"
        )


def _hash_prefix(part: Path, have: int):
    """sha256 state after the first `have` bytes already on disk (a resumed download)."""
    h = hashlib.sha256()
    if have:
        with open(part, "rb") as f:
            while chunk := f.read(CHUNK):
                h.update(chunk)
    return h


class _LinkExpired(Exception): ...


class _ServerError(Exception): ...
