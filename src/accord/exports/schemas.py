"""What the exports give back: a document (bytes, media type, file name), the signed licence record, and the
export links a viewer is offered on a dataset page."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, Field

BIBTEX = "application/x-bibtex"
RIS = "application/x-research-info-systems"
CFF = "application/x-yaml"
JSONLD = "application/ld+json"


@dataclass(frozen=True)
class Document:
    body: bytes
    media_type: str
    filename: str


@dataclass(frozen=True)
class ExportLink:
    label: str
    href: str
    note: str = ""


@dataclass(frozen=True)
class Offer:
    """The exports of one published version that a viewer may take, and whether they may ask for the licence
    record of any licensee (the dataset's curators)."""

    version: str
    links: list[ExportLink] = field(default_factory=list)
    record_url: str = ""  # the route a curator's form asks with ?licensee=
    records_of_others: bool = False


class LicenceRecordOut(BaseModel):
    """A licence record and the platform's signature of its exact bytes (UTF-8). Save `record` as it is to a
    file and the decoded `signature` beside it; `verify` says how stock OpenSSL checks the pair."""

    record: str = Field(description="the record: JSON, exactly the bytes that were signed")
    signature: str = Field(description="base64 of the detached ECDSA P-256 / SHA-256 signature (DER)")
    certificate_url: str = Field(description="the platform certificate that checks it (GET /api/v1/signing-key)")
    certificate_fingerprint: str = Field(description="SHA-256 of that certificate, as openssl prints it")
    verify: str = Field(description="the command that checks the record")
    filename: str = Field(description="a name to save the record under (the signature: the same plus .sig)")
