"""ASGI entry point for servers: `granian --interface asgi --factory accord.web.asgi:create`."""

from __future__ import annotations


def create():
    """Build the app from ACCORD_* settings; each server worker process calls this once."""
    from accord.config import Settings
    from accord.runtime import build
    from accord.web.app import create_app

    return create_app(build(Settings()))
