"""Rendering e-mails from templates, and the two ways of sending them: SMTP, or the console in a demo."""

from __future__ import annotations

import smtplib
import sys
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any, TextIO

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, select_autoescape

from accord.config import Settings, Smtp

TEMPLATES = Path(__file__).parent / "templates"
_env = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    undefined=StrictUndefined,
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    keep_trailing_newline=True,
)


def render(template: str, **context: Any) -> tuple[str, str, str | None]:
    """(subject, text, html) for `template`. The text file's first line is `Subject: ...`."""
    head, _, text = _env.get_template(f"{template}.txt").render(**context).partition("\n")
    if not head.startswith("Subject:"):
        raise ValueError(f"{template}.txt must start with a 'Subject:' line")
    try:
        html = _env.get_template(f"{template}.html").render(**context)
    except TemplateNotFound:
        html = None
    return head[len("Subject:") :].strip(), text.lstrip("\n"), html


def build_message(sender: str, to: str, subject: str, text: str, html: str | None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].rstrip(">") or "accord.localhost")
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    return msg


class SmtpTransport:
    """One connection per batch, opened on the first message."""

    def __init__(self, smtp: Smtp, timeout: float = 20):
        self.smtp = smtp
        self.timeout = timeout
        self._conn: smtplib.SMTP | None = None

    def send(self, msg: EmailMessage) -> None:
        if self._conn is None:
            conn = smtplib.SMTP(self.smtp.host, self.smtp.port, timeout=self.timeout)
            if self.smtp.starttls:
                conn.starttls()
            if self.smtp.username:
                password = self.smtp.password.get_secret_value() if self.smtp.password else ""
                conn.login(self.smtp.username, password)
            self._conn = conn
        self._conn.send_message(msg)

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.quit()
            except smtplib.SMTPException:
                pass
            except OSError:
                pass
            self._conn = None


class ConsoleTransport:
    """Demo mode: the mail is printed where the operator can read it (the verification link included)."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream

    def send(self, msg: EmailMessage) -> None:
        stream = self.stream or sys.stderr
        body = msg.get_body(preferencelist=("plain",))
        stream.write(
            f"\n----- e-mail to {msg['To']}: {msg['Subject']}\n{body.get_content() if body else ''}"
            "----- end of e-mail\n"
        )
        stream.flush()

    def close(self) -> None:
        pass


def transport_for(settings: Settings) -> SmtpTransport | ConsoleTransport:
    return ConsoleTransport() if settings.mail_to_console else SmtpTransport(settings.smtp)
