"""Receive a multipart upload by streaming its file part to disk, refusing it as soon as it grows too large.

Starlette's `request.form()` (and so FastAPI's `UploadFile`) spools the whole body before the route sees it; an
archive can be gigabytes and anyone can send a scan of 3 GB, so every upload route (web and API) parses the
stream here: a declared length over the limit is refused before reading, and bytes are counted as they arrive.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from accord.errors import InvalidInput, TooLarge

FORM_SLACK = 64 * 1024  # room for the other form fields and the multipart framing
MAX_FIELD = 16 * 1024


@dataclass
class Upload:
    fields: dict[str, str] = field(default_factory=dict)
    path: Path | None = None  # the received file, None when the form had no file
    filename: str = ""
    size: int = 0

    def discard(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)

    def data(self) -> bytes:
        return self.path.read_bytes() if self.path is not None else b""

    def flag(self, name: str) -> bool:
        """A yes/no field as FastAPI's Form(bool) reads it; missing is no."""
        value = self.fields.get(name, "").strip().lower()
        if value in TRUE or value in FALSE:
            return value in TRUE
        raise InvalidInput(f"{name} must be true or false", field=name)

    def number(self, name: str) -> int | None:
        """A whole-number field (an id); missing or empty is None."""
        value = self.fields.get(name, "").strip()
        if not value:
            return None
        if not value.isascii() or not value.isdigit() or int(value) > MAX_ID:
            raise InvalidInput(f"{name} must be a whole number", field=name)
        return int(value)


TRUE, FALSE = {"1", "true", "yes", "on", "t", "y"}, {"", "0", "false", "no", "off", "f", "n"}
MAX_ID = 2**63 - 1  # the largest id either database stores


def openapi_body(file_field: str, **fields: str) -> dict:
    """`openapi_extra` for a route that reads its multipart body with `receive`: the file and the text fields
    (name: description), as FastAPI would declare them for UploadFile and Form parameters."""
    properties = {file_field: {"type": "string", "format": "binary"}}
    properties.update({name: {"type": "string", "description": text} for name, text in fields.items()})
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {"type": "object", "required": [file_field], "properties": properties}
                }
            },
        }
    }


def _disposition(value: bytes) -> tuple[str, str | None]:
    _, params = parse_options_header(value)
    name = params.get(b"name", b"").decode("utf-8", "replace")
    filename = params.get(b"filename")
    return name, filename.decode("utf-8", "replace") if filename is not None else None


async def receive(
    request: Request, *, directory: Path, limit: int, file_field: str = "archive", required: bool = True
) -> Upload:
    """Stream `file_field` into a new file under `directory`; other fields are kept as short strings.

    Over `limit` bytes: TooLarge, and the partial file is deleted. The caller owns (and deletes) the file.
    With `required=False` a missing or empty file is left for the caller to explain.
    """
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise InvalidInput("send the file as a multipart/form-data upload", field=file_field)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + FORM_SLACK:
        raise TooLarge(f"the upload is larger than the limit of {limit:,} bytes", field=file_field)

    directory.mkdir(parents=True, exist_ok=True)
    upload = Upload()
    part: dict = {}
    headers: dict[bytes, bytes] = {}
    header = [b"", b""]
    out = None

    def on_part_begin():
        part.clear()
        headers.clear()

    def on_header_field(data, start, end):
        header[0] += data[start:end]

    def on_header_value(data, start, end):
        header[1] += data[start:end]

    def on_header_end():
        headers[header[0].lower()] = header[1]
        header[0], header[1] = b"", b""

    def on_headers_finished():
        nonlocal out
        name, filename = _disposition(headers.get(b"content-disposition", b""))
        part.update(name=name, buf=bytearray(), file=False)
        if name == file_field and filename:
            upload.filename = os.path.basename(filename)
            upload.path = directory / f"{uuid.uuid4().hex}.upload"
            out = open(upload.path, "wb")  # noqa: SIM115 (written by later callbacks, closed at the end)
            part["file"] = True

    def on_part_data(data, start, end):
        if part.get("file"):
            upload.size += end - start
            if upload.size > limit:
                raise TooLarge(f"the upload is larger than the limit of {limit:,} bytes", field=file_field)
            out.write(data[start:end])
        elif len(part["buf"]) + end - start <= MAX_FIELD:
            part["buf"] += data[start:end]

    def on_part_end():
        nonlocal out
        if part.get("file"):
            out.close()
            out = None
        elif part.get("name"):
            upload.fields[part["name"]] = part["buf"].decode("utf-8", "replace")

    parser = MultipartParser(
        boundary,
        callbacks={
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except BaseException as exc:
        if out is not None:
            out.close()
        upload.discard()
        if isinstance(exc, MultipartParseError):
            raise InvalidInput("the upload was cut off or malformed; please try again", field=file_field) from exc
        raise
    if required and (upload.path is None or upload.size == 0):
        upload.discard()
        raise InvalidInput("choose an archive file to upload", field=file_field)
    return upload
