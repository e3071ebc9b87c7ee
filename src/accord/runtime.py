"""Everything built from Settings once: engine, sessions, blob store, job queue. Nothing is built at import."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import make_engine, make_sessionmaker
from accord.storage import BlobStore, open_store

if TYPE_CHECKING:
    from huey import Huey


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    store: BlobStore
    _extras: dict[str, Any] = field(default_factory=dict)

    def session(self) -> Session:
        return self.sessions()

    @cached_property
    def huey(self) -> Huey:
        from accord.jobs.queue import make_huey

        return make_huey(self)

    @cached_property
    def secret(self) -> str:
        return self.settings.secret()


def build(settings: Settings | None = None, *, engine: Engine | None = None) -> Runtime:
    settings = settings or Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = engine or make_engine(settings.sqlalchemy_url)
    return Runtime(settings=settings, engine=engine, sessions=make_sessionmaker(engine),
                   store=open_store(settings))
