"""The agreement document: the policy's clauses in plain words, the applicant's answers, the policy version
and a hash of all of it, rendered to a deterministic PDF (same input, same bytes)."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from accord.policy.service import Clause

CJK_FONT = "STSong-Light"  # a standard CID font: viewers supply the glyphs, nothing to embed or ship
pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


@dataclass(frozen=True)
class Agreement:
    dataset_title: str
    dataset_slug: str
    custodian: str
    policy_version: int
    clauses: list[Clause]
    answers: list[tuple[str, str]]  # (label, value) in form order
    applicant_email: str
    signatory: dict[str, Any] | None = None  # name/title/email of the legal signatory, when the policy needs one
    extra: dict[str, Any] = field(default_factory=dict)

    def canonical(self) -> bytes:
        body = asdict(self)
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    @property
    def sha256(self) -> str:
        """What a signature binds to: every clause and answer, not the PDF's layout bytes."""
        return hashlib.sha256(self.canonical()).hexdigest()


def _text(s: str) -> str:
    """Escape for reportlab's mini-markup; switch to the CJK font for runs of CJK characters."""
    out: list[str] = []
    run: list[str] = []
    cjk = False
    for ch in s:
        is_cjk = ord(ch) >= 0x2E80
        if run and is_cjk != cjk:
            out.append(_run("".join(run), cjk))
            run = []
        run.append(ch)
        cjk = is_cjk
    if run:
        out.append(_run("".join(run), cjk))
    return "".join(out)


def _run(s: str, cjk: bool) -> str:
    return f'<font face="{CJK_FONT}">{escape(s)}</font>' if cjk else escape(s)


@dataclass(frozen=True)
class Signature:
    full_name: str
    signed_at: datetime
    method: str = "typed"  # typed in the browser / API with explicit consent
    role: str = "Applicant"


def render_pdf(doc: Agreement, *, signatures: Sequence[Signature] = ()) -> bytes:
    styles = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=styles["BodyText"], fontSize=10, leading=14)
    small = ParagraphStyle("small", parent=body, fontSize=8, textColor=colors.grey)
    h2 = ParagraphStyle("h2", parent=styles["Heading2"], fontSize=12, spaceBefore=8)
    story = [
        Paragraph(_text(f"Data access agreement: {doc.dataset_title}"), styles["Title"]),
        Paragraph(
            _text(
                f"Between {doc.custodian} (the custodian) and the licensee named below. "
                f"Terms version {doc.policy_version} of dataset “{doc.dataset_slug}”."
            ),
            body,
        ),
        Spacer(1, 4 * mm),
        Paragraph("Terms", h2),
    ]
    for n, clause in enumerate(doc.clauses, 1):
        story.append(Paragraph(f"<b>{n}. {_text(clause.title)}.</b> {_text(clause.text)}", body))
        story.append(Spacer(1, 2 * mm))
    story.append(Paragraph("Licensee", h2))
    rows = [[Paragraph(_text(label), body), Paragraph(_text(value or "–"), body)] for label, value in doc.answers]
    if doc.signatory:
        rows.append(
            [
                Paragraph("Signatory with legal authority", body),
                Paragraph(_text(", ".join(str(v) for v in doc.signatory.values() if v)), body),
            ]
        )
    table = Table(rows, colWidths=[55 * mm, 115 * mm])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.lightgrey), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story.append(table)
    story.append(Paragraph("Signatures", h2))
    if not signatures:
        story.append(Paragraph("Not yet signed. Sign by hand below, or sign online in Accord.", body))
        story.append(Spacer(1, 12 * mm))
        story.append(
            Paragraph("Name: ______________________  Signature: ______________________  Date: ____________", body)
        )
    for sig in signatures:
        story.append(
            Paragraph(
                _text(
                    f"{sig.role}: signed electronically by {sig.full_name} on "
                    f"{sig.signed_at.strftime('%Y-%m-%d %H:%M UTC')} ({sig.method} signature with explicit consent "
                    f"to every clause)."
                ),
                body,
            )
        )
    story.append(Spacer(1, 6 * mm))
    story.append(Paragraph(f"Agreement hash (SHA-256 of the terms and answers): {doc.sha256}", small))
    buf = io.BytesIO()
    SimpleDocTemplate(
        buf,
        pagesize=A4,
        title=f"Agreement {doc.dataset_slug} v{doc.policy_version}",
        author="Accord",
        invariant=1,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
    ).build(story)
    return buf.getvalue()
