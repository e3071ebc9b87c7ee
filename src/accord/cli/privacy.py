"""accord privacy ...: the privacy desk's commands."""

from __future__ import annotations

import typer

from accord.cli.consent import consent_app

privacy_app = typer.Typer(help="Data subjects' privacy: consent records and removal requests.", no_args_is_help=True)
privacy_app.add_typer(consent_app, name="consent")
