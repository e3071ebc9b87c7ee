"""Everything built from Settings once: engine, sessions, blob store, job queue. Nothing is built at import."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar, overload

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import make_engine, make_sessionmaker
from accord.storage import BlobStore, open_store

T = TypeVar("T")

if TYPE_CHECKING:
    from huey import Huey


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    store: BlobStore
    _extras: dict[str, Any] = field(default_factory=dict)
    _extras_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def session(self) -> Session:
        return self.sessions()

    @overload
    def kept(self, name: str, make: Callable[[], T]) -> T: ...
    @overload
    def kept(self, name: str, make: None = None) -> Any: ...
    def kept(self, name: str, make: Callable[[], T] | None = None) -> T | None:
        """What a package keeps for this runtime in this process (caches, batched writers) under `name`: built by
        `make` on first use, once even when requests race; without `make`, None until it is built."""
        with self._extras_lock:
            found = self._extras.get(name)
            if found is None and make is not None:
                found = self._extras[name] = make()
            return found

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
    return Runtime(settings=settings, engine=engine, sessions=make_sessionmaker(engine), store=open_store(settings))
