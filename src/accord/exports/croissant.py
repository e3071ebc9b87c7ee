"""Croissant 1.1 (MLCommons) JSON-LD of one published version, from plain facts (no Session here).

Two documents. The public one describes the dataset, the version, its licence and how access is granted, and
lists no file and no hash: a file list tells whoever holds a photo whether, and as whom, a person is in the
dataset. The full one, for licensees and curators, adds the files as a FileSet whose per-file paths, sizes and
SHA-256 sums are read from the version's signed manifest, itself a FileObject pinned by its SHA-256 (the
version's root hash). One FileObject per file would make CION-AL's 3.9 M files a gigabyte of JSON-LD that every
reader loads whole; the manifest is already the signed, content-addressed list, so the document stays the same
small size for any version and needs no streaming, and checking the manifest's hash checks every file's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from accord.exports.bibtex import one_line
from accord.exports.citation import Citable, to_bibtex

CONFORMS_TO = "http://mlcommons.org/croissant/1.1"
# The context Croissant 1.1 documents carry (as mlcroissant writes it).
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}
MANIFEST_FIELDS = (("path", "sc:Text"), ("size", "sc:Integer"), ("sha256", "sc:Text"), ("media_type", "sc:Text"))


@dataclass(frozen=True)
class Terms:
    """The licence as Croissant states it."""

    version: int | None  # None: the dataset has no terms yet, so nobody can apply
    odrl_url: str = ""
    duo: tuple[str, ...] = ()  # GA4GH DUO shorthands: GRU, US, NCU, ...


@dataclass(frozen=True)
class Files:
    """What only licensees and curators see: where the manifest is, its hash, and the files' shape."""

    manifest_url: str
    manifest_sha256: str
    signing_key_url: str
    file_count: int
    total_bytes: int
    media_types: tuple[str, ...] = field(default_factory=tuple)


def access_statement(c: Citable, terms: Terms) -> str:
    if terms.version is None:
        return f"Access is by agreement with {one_line(c.custodian)}; its licence terms are not published yet."
    codes = f" In GA4GH DUO terms: {', '.join(terms.duo)}." if terms.duo else ""
    return (
        f"Access is by agreement: the files go only to people whose application to {one_line(c.custodian)}, "
        f"under licence terms version {terms.version} ({c.terms_url}), was approved. Apply on {c.url}. "
        f"Licensees download through the platform; the file list and checksums are shared with them only.{codes}"
    )


def document(c: Citable, terms: Terms, files: Files | None = None) -> dict[str, Any]:
    """The Croissant document: public without `files`, full with them."""
    statement = access_statement(c, terms)
    licence: dict[str, Any] = {
        "@type": "sc:CreativeWork",
        "name": f"Licence terms of {one_line(c.title)}" + (f", version {terms.version}" if terms.version else ""),
        "url": c.terms_url,
        "description": statement,
    }
    if terms.odrl_url:
        licence["sameAs"] = terms.odrl_url
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": one_line(c.title),
        "description": one_line(c.summary) or one_line(c.title),
        "url": c.url,
        "version": c.label,
        "datePublished": c.published.isoformat(),
        "creator": {"@type": "sc:Organization", "name": one_line(c.custodian)},
        "citeAs": c.bibtex.strip() or to_bibtex(c).strip(),
        "license": licence,
        "conditionsOfAccess": statement,
        "isAccessibleForFree": True,
    }
    if c.keywords:
        doc["keywords"] = list(c.keywords)
    if files is not None:
        doc["distribution"] = _distribution(c, files)
        doc["recordSet"] = [_record_set()]
    return doc


def _distribution(c: Citable, files: Files) -> list[dict[str, Any]]:
    manifest = {
        "@type": "cr:FileObject",
        "@id": "manifest",
        "name": "manifest",
        "description": (
            f"The manifest of version {c.label}: one JSON object per file (path, size, sha256, media type), "
            "sorted by path. Its SHA-256 is the version's root hash. The platform signs it (detached ECDSA "
            f"P-256 / SHA-256; certificate: {files.signing_key_url})."
        ),
        "contentUrl": files.manifest_url,
        "encodingFormat": "application/jsonl",
        "sha256": files.manifest_sha256,
    }
    file_set = {
        "@type": "cr:FileSet",
        "@id": "files",
        "name": "files",
        "description": (
            f"The {files.file_count} files of version {c.label} ({files.total_bytes} bytes), as `accord download` "
            "lays them out; each one's SHA-256 is in the manifest."
        ),
        "encodingFormat": list(files.media_types) or ["application/octet-stream"],
        "includes": "**/*",
    }
    return [manifest, file_set]


def _record_set() -> dict[str, Any]:
    return {
        "@type": "cr:RecordSet",
        "@id": "manifest-entries",
        "name": "manifest-entries",
        "description": "One record per file of the version, read from the manifest.",
        "field": [
            {
                "@type": "cr:Field",
                "@id": f"manifest-entries/{name}",
                "name": name,
                "dataType": data_type,
                "source": {"fileObject": {"@id": "manifest"}, "extract": {"column": name}},
            }
            for name, data_type in MANIFEST_FIELDS
        ],
    }


def to_json(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode()
