"""What a curator types about a dataset or a version, checked and normalised before anything is stored."""

from __future__ import annotations

import re
from typing import Any

from accord.db import MAX_INT32
from accord.errors import InvalidInput

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])$")
LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
MODALITY = re.compile(r"^[a-z0-9][a-z0-9 _-]{0,39}$")
CONTACT = re.compile(r"^(?:[^@\s,]+@[^@\s,]+\.[^@\s,]+|https?://[^\s,]+)$")
EDITABLE = (
    "title",
    "custodian",
    "custodian_short",
    "custodian_contact",
    "summary",
    "description",
    "homepage",
    "modalities",
    "subject_count",
    "image_count",
    "citation_bibtex",
    "terms_summary",
)


def clean_text(value: Any, field: str, *, limit: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(f"the {field.replace('_', ' ')} is required", field=field)
    if len(value) > limit:
        raise InvalidInput(f"the {field.replace('_', ' ')} is too long (at most {limit} characters)", field=field)
    return str(value)


def _count(value: Any, field: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{field.replace('_', ' ')} must be a whole number", field=field) from None
    if number < 0:
        raise InvalidInput(f"{field.replace('_', ' ')} cannot be negative", field=field)
    if number > MAX_INT32:
        raise InvalidInput(f"{field.replace('_', ' ')} is at most {MAX_INT32:,}", field=field)
    return number


def _contact(value: Any) -> str:
    """Comma-separated e-mail addresses or http(s) contact pages, normalised to "a@x.org, b@y.org"."""
    parts = [p.strip() for p in (value or "").split(",") if p.strip()]
    bad = [p for p in parts if not CONTACT.match(p)]
    if bad:
        raise InvalidInput(f"not an e-mail address or http(s) page: {bad[0]!r}", field="custodian_contact")
    return clean_text(", ".join(parts), "custodian contact", limit=300)


def _homepage(value: Any) -> str | None:
    address = (value or "").strip() or None
    if address and not re.match(r"^https?://[^\s/]+\S*$", address):
        raise InvalidInput("the homepage must be an http(s) address", field="homepage")
    return address


def _modalities(value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.split(",")
    mods = [str(m).strip().lower() for m in value or () if str(m).strip()]
    bad = [m for m in mods if not MODALITY.match(m)]
    if bad:
        raise InvalidInput(f"not a modality name: {bad[0]!r} (lowercase words, e.g. infrared)", field="modalities")
    return list(dict.fromkeys(mods))


def clean_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Validate and normalise dataset fields; only the keys given are checked."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key in ("title", "custodian"):
            out[key] = clean_text(value, key, limit=300, required=True)
        elif key == "summary":
            out[key] = clean_text(value, key, limit=500)
        elif key == "custodian_short":
            out[key] = clean_text(value, "custodian's short name", limit=60)
        elif key == "custodian_contact":
            out[key] = _contact(value)
        elif key in ("description", "citation_bibtex", "terms_summary"):
            out[key] = clean_text(value, key, limit=100_000)
        elif key == "homepage":
            out[key] = _homepage(value)
        elif key == "modalities":
            out[key] = _modalities(value)
        elif key in ("subject_count", "image_count"):
            out[key] = _count(value, key)
        else:
            raise InvalidInput(f"unknown dataset field {key!r}", field=key)
    return out
