"""Integer parameters bounded to what the database can hold, shared by the web pages and the API.

An id past `MAX_INT` (2^53-1) names nothing (404); a query integer past it is invalid input (422). Declared here
once so the OpenAPI document states the bound and the SQLite driver never sees a number it cannot bind.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from accord.db import MAX_INT

__all__ = ["MAX_INT", "Id", "Offset"]

Id = Annotated[int, Path(ge=1, le=MAX_INT)]  # a row's id in the path
Offset = Annotated[int, Query(ge=0, le=MAX_INT)]  # rows to skip
