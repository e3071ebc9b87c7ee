"""Downloads: the licensee's file listing with signed links (/api/v1), and the links themselves (/dl/...).

A link is its own credential (curl, wget -c, aria2c -x16 need nothing else); if the request also carries a
session or an API token, it must be the account the link was issued to.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator
from dataclasses import asdict
from functools import partial
from urllib.parse import quote

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse

from accord.delivery import service as delivery
from accord.http.deps import SESSION_COOKIE, CurrentUser, Db, Rt, bearer_token, client_address, optional_user
from accord.http.params import Offset

router = APIRouter(tags=["downloads"])
SMALL_BODY = 256 * 1024
# A long answer asks again whether its grant still counts every few MiB or seconds, whichever comes first: a
# revocation then stops a transfer already on its way, not only the next request.
RECHECK_BYTES = 4 * 1024 * 1024
RECHECK_SECONDS = 2.0
log = logging.getLogger("accord.delivery")
links = APIRouter(tags=["downloads"], include_in_schema=False)


@router.get("/datasets/{slug}/versions/{label}/files", summary="Your files of a version, with signed links")
def files(
    slug: str,
    label: str,
    request: Request,
    db: Db,
    rt: Rt,
    user: CurrentUser,
    offset: Offset = 0,
    limit: int = Query(1000, ge=1, le=delivery.MAX_PAGE),
) -> dict:
    return asdict(
        delivery.listing(rt, db, user, slug, label, address=client_address(request), offset=offset, limit=limit)
    )


def _disposition(filename: str) -> str:
    quoted = quote(filename)
    return f"attachment; filename*=utf-8''{quoted}" if quoted != filename else f'attachment; filename="{filename}"'


@links.api_route("/dl/{link}", methods=["GET", "HEAD"])
@links.api_route("/dl/{link}/{name}", methods=["GET", "HEAD"])
def download(link: str, request: Request, rt: Rt, name: str | None = None):
    # No database session as a dependency: a segmented downloader asks for many small ranges, and each
    # dependency costs a worker-thread hop. A session is opened only to identify a caller who sent a token or
    # cookie, and by `resolve` on the refusal path.
    caller = None
    if bearer_token(request) or request.cookies.get(SESSION_COOKIE):
        with rt.session() as db:
            user = optional_user(request, db)
            caller = user.id if user else None
    try:
        target = delivery.resolve(rt, link, name=name, user_id=caller, address=client_address(request))
    except delivery.Refused as exc:
        return _refusal(request, exc)
    head = request.method == "HEAD"
    if target.redirect:
        if not head:
            delivery.log_transfer(rt, target, 0, 0)  # handed to the object store, which sends the bytes
        return RedirectResponse(target.redirect, status_code=303)
    headers = {
        "ETag": f'"{target.etag}"',
        "Accept-Ranges": "bytes",
        "Content-Disposition": _disposition(target.filename),
        "Cache-Control": "private, no-store",
    }
    accel = rt.settings.accel_redirect_prefix
    if target.path is not None and accel:
        _log_intent(rt, request, target, head)
        return Response(
            headers={**headers, "X-Accel-Redirect": f"{accel.rstrip('/')}/{target.relative}"},
            media_type=target.media_type,
        )
    if target.path is not None:
        try:
            spans = delivery.parse_ranges(_range_header(request, headers), target.size)
        except delivery.RangeNotSatisfiable:
            return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{target.size}"})
        if spans is not None and (len(spans) > 1 or sum(end - start for start, end in spans) <= SMALL_BODY):
            return _ranged(rt, request, target, headers, head)  # multipart, or cheaper than FileResponse's hops
        start, end = spans[0] if spans else (0, target.size)
        response = _FileResponse(
            target.path,
            media_type=target.media_type,
            headers=headers,
            filename=target.filename,
            ignore_range=spans is None,
        )
        if not head:
            response.sent = partial(_log_sent, rt, target, [(start, end, b"")], False)
            response.recheck = partial(delivery.stopped_by, rt, target)
        return response
    return _ranged(rt, request, target, headers, head)


def _refusal(request: Request, exc: delivery.Refused) -> Response:
    """Why a link is refused, in the client's terms: problem JSON for programs, a page for browsers, and plain
    text for curl and wget (which show the body with --content-on-error / without -f)."""
    accept = request.headers.get("accept", "")
    if "application/json" in accept or "text/html" in accept:
        raise exc  # the app's error pages: problem JSON with `code` (and `terms_url`), or the HTML page
    return PlainTextResponse(f"{exc.message}\n", status_code=403, headers={"X-Accord-Refusal": exc.details["code"]})


class _Stop(Exception):
    """The grant stopped counting while its bytes were on their way (see `_Counted.recheck`)."""


class _Counted(Response):
    """For answers that carry a link's bytes: when the answer ends, however it ends, hand `sent` the number of
    body bytes that went to the server (and the refusal code if it was stopped), and close `source` (the generator
    reading the file) at once. A client that drops the connection is so logged for what it got (give or take what
    the server had buffered), and the blob it was reading is released without waiting for the garbage collector.

    `recheck`, asked every RECHECK_BYTES or RECHECK_SECONDS, says whether the link's grant still counts; when it
    returns a refusal the answer ends there, without its last bytes and without completing the HTTP response, so
    that the client sees a broken transfer (its next request is refused with the reason), never a short file that
    looks whole."""

    sent: Callable[..., None] | None = None
    source: Generator | None = None
    recheck: Callable[[], delivery.Refused | None] | None = None

    async def __call__(self, scope, receive, send) -> None:
        count, stopped = 0, None
        checked, checked_at = 0, time.monotonic()

        async def counting(message) -> None:
            nonlocal count, stopped, checked, checked_at
            body = message["type"] == "http.response.body" and message.get("body")
            if (
                body
                and self.recheck is not None
                and (count - checked >= RECHECK_BYTES or time.monotonic() - checked_at >= RECHECK_SECONDS)
            ):
                stopped = await anyio.to_thread.run_sync(self.recheck)  # may refresh the cache: not on the loop
                checked, checked_at = count, time.monotonic()
                if stopped is not None:
                    raise _Stop(stopped.message)
            await send(message)
            if body:
                count += len(body)

        try:
            await super().__call__(scope, receive, counting)
        except Exception:
            if stopped is None:
                raise
            # Returning without the response's end makes the server drop the connection: the client's transfer
            # breaks (Content-Length unmet), which a plain early end of the body would not say.
            link = stopped.link
            log.warning(
                "stopped sending %s (grant %s, user %s) after %d bytes: %s",
                link and link.object,
                link and link.grant_id,
                link and link.user_id,
                count,
                stopped.message,
            )
        finally:
            if self.source is not None:
                self.source.close()  # no thread is inside it: a cancelled read waits for its thread to return
            if self.sent is not None:
                code = stopped.details["code"] if stopped is not None else None
                with anyio.CancelScope(shield=True):  # logged even when the answer itself was cancelled
                    await anyio.to_thread.run_sync(self.sent, count, code)  # it may write a batch: not on the loop


class _Bytes(_Counted, Response):
    pass


class _Streamed(_Counted, StreamingResponse):
    pass


class _FileResponse(_Counted, FileResponse):
    """Starlette's file answer, counted. Starlette answers a malformed Range with 400; RFC 9110 says to ignore it
    and send the whole file. And it would hand a server that offers `http.response.pathsend` (granian does) the
    path, so that the bytes go out unseen and unlogged: without the offer it sends the file in counted pieces."""

    chunk_size = 1 << 20  # Starlette's 64 KiB pieces, a thread hop each, ran at a quarter of the speed

    def __init__(self, *args, ignore_range: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.ignore_range = ignore_range

    async def __call__(self, scope, receive, send) -> None:
        extensions = {k: v for k, v in (scope.get("extensions") or {}).items() if k != "http.response.pathsend"}
        scope = {**scope, "extensions": extensions}
        if self.ignore_range:
            scope["headers"] = [(k, v) for k, v in scope["headers"] if k != b"range"]
        await super().__call__(scope, receive, send)


def _log_sent(rt, target: delivery.Target, parts, multipart: bool, sent: int, stopped: str | None = None) -> None:
    """Log, per range, its bytes among the first `sent` body bytes (the layout is known: each part's preamble,
    its bytes, and a CRLF after it in a multipart answer); a range the answer never reached is not logged. An
    answer the server `stopped` (a refusal code) says so on its last row (a row of no bytes if none went out)."""
    rows = []
    for start, end, preamble in parts:
        sent -= len(preamble)
        if end > start:
            if sent < 0:
                break
            rows.append((start, min(sent, end - start)))
            sent -= end - start + (2 if multipart else 0)
    if stopped and not rows:
        rows = [(parts[0][0], 0)]
    for i, (start, nbytes) in enumerate(rows):
        delivery.log_transfer(rt, target, start, nbytes, stopped=stopped if i == len(rows) - 1 else None)


def _range_header(request: Request, headers: dict) -> str | None:
    """The Range to honour: none if If-Range names another version than the one we have (send it all)."""
    header = request.headers.get("range")
    if_range = request.headers.get("if-range")
    if header and if_range is not None and if_range.strip() != headers["ETag"]:
        return None
    return header


def _log_intent(rt, request: Request, target: delivery.Target, head: bool) -> None:
    """For bytes sent by someone else (nginx): log what the request asked for."""
    if head:
        return
    try:
        spans = delivery.parse_ranges(request.headers.get("range"), target.size) or [(0, target.size)]
    except delivery.RangeNotSatisfiable:
        return
    for start, end in spans:
        delivery.log_transfer(rt, target, start, end - start)


def _ranged(rt, request: Request, target: delivery.Target, headers: dict, head: bool) -> Response:
    """Range/206/416 for bytes we produce (packed blobs, shards, SHA256SUMS). Several ranges: multipart."""
    size = target.size
    try:
        spans = delivery.parse_ranges(_range_header(request, headers), size)
    except delivery.RangeNotSatisfiable:
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    if spans is None:
        status, parts, media = 200, [(0, size, b"")], target.media_type
    elif len(spans) == 1:
        ((start, end),) = spans
        status, parts, media = 206, [(start, end, b"")], target.media_type
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    else:
        boundary = f"accord-{target.etag[:16]}"
        status, media = 206, f"multipart/byteranges; boundary={boundary}"
        parts = [
            (
                s,
                e,
                (
                    f"--{boundary}\r\nContent-Type: {target.media_type}\r\n"
                    f"Content-Range: bytes {s}-{e - 1}/{size}\r\n\r\n"
                ).encode(),
            )
            for s, e in spans
        ]
        parts.append((0, 0, f"--{boundary}--\r\n".encode()))
    multipart = len(parts) > 1
    length = sum(e - s + len(pre) + (2 if multipart and e > s else 0) for s, e, pre in parts)
    headers["Content-Length"] = str(length)
    if head:
        return Response(status_code=status, headers=headers, media_type=media)
    response: _Counted
    if length <= SMALL_BODY:  # one read, no streaming: segmented downloaders ask for many small pieces
        response = _Bytes(
            b"".join(_body(target, parts, multipart)), status_code=status, headers=headers, media_type=media
        )
    else:
        source = _body(target, parts, multipart)
        response = _Streamed(source, status_code=status, headers=headers, media_type=media)
        response.source, response.recheck = source, partial(delivery.stopped_by, rt, target)
    response.sent = partial(_log_sent, rt, target, parts, multipart)
    return response


def _body(target: delivery.Target, parts, multipart: bool):
    read = target.read
    assert read is not None  # a ranged answer is read through the store (a whole file is a FileResponse)
    for start, end, preamble in parts:
        if preamble:
            yield preamble
        if end > start:
            yield from read(start, end)
            if multipart:
                yield b"\r\n"


@router.get(
    "/signing-key",
    response_class=Response,
    responses={
        200: {
            "description": "Certificate and public key, PEM",
            "content": {"application/x-pem-file": {"schema": {"type": "string"}}},
        }
    },
    summary="The platform's certificate and public key (PEM) that sign every manifest",
)
def signing_key(rt: Rt) -> Response:
    """Public: anyone checks a manifest signature with it (`openssl dgst -sha256 -verify ...`); pin its
    fingerprint (the X-Accord-Fingerprint header, the download page) rather than trusting the network."""
    key = delivery.signing_key(rt)
    return Response(
        key.cert_pem + key.public_pem,
        media_type="application/x-pem-file",
        headers={
            "Cache-Control": "public, max-age=3600",
            "X-Accord-Fingerprint": key.fingerprint,
            "Content-Disposition": 'inline; filename="accord-signing.pem"',
        },
    )
