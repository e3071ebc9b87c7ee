"""The API's Swagger UI, served entirely from this install: a self-hosted Accord often has no internet, and
FastAPI's own docs page loads Swagger UI from a CDN (and starts it with an inline script, which a
script-src 'self' policy refuses). The Swagger UI files come from the fastapi-offline package."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, FastAPI, Request
from fastapi.staticfiles import StaticFiles

from accord.web.templating import render

ASSETS = "/static/swagger-ui"  # mounted before /static, which would otherwise take these paths

router = APIRouter(include_in_schema=False)


def mount_assets(app: FastAPI) -> None:
    app.mount(ASSETS, StaticFiles(directory=str(files("fastapi_offline") / "static")), name="swagger-ui")


@router.get("/api/docs")
def api_docs(request: Request):
    return render(request, "api/docs.html", assets=ASSETS, openapi_url=request.app.openapi_url)
