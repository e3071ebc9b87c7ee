"""The huey queue: SQLite file by default, Redis at scale, inline (immediate) in tests.

Task functions take the runtime as their first argument. They are kept in a plain registry and bound to one
runtime when `make_huey` registers them on that runtime's huey instance, so a worker needs nothing but the
runtime it was started with.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from huey import RedisHuey, SqliteHuey, crontab

if TYPE_CHECKING:
    from accord.runtime import Runtime

log = logging.getLogger("accord.jobs")

TASKS: dict[str, Callable] = {}  # name -> fn(rt, *args)
PERIODIC: dict[str, tuple[Callable, Callable]] = {}  # name -> (fn(rt), schedule)

_current: Runtime | None = None


def task(name: str):
    """Register `fn(rt, *args)` as a queue task called `name`."""
    def decorator(fn):
        TASKS[name] = fn
        return fn
    return decorator


def periodic(name: str, schedule):
    """Register `fn(rt)` to run on a huey crontab schedule (only where a consumer runs)."""
    def decorator(fn):
        PERIODIC[name] = (fn, schedule)
        return fn
    return decorator


def current_runtime() -> Runtime:
    """The runtime the last queue was built for (the worker's, in a worker process)."""
    if _current is None:
        raise RuntimeError("no job queue has been built in this process")
    return _current


def set_current_runtime(rt: Runtime) -> None:
    global _current
    _current = rt


def make_huey(rt: Runtime):
    """Build the queue for this runtime and register every task on it, bound to the runtime."""
    from accord import plugins

    plugins.provided("jobs")  # each domain's jobs module registers its tasks when imported

    settings = rt.settings
    if settings.redis_url:
        huey = RedisHuey("accord", url=settings.redis_url, immediate=settings.jobs_immediate)
    else:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        huey = SqliteHuey("accord", filename=str(settings.data_dir / "jobs.db"),
                          immediate=settings.jobs_immediate)
    huey.accord_tasks = {}
    for name, fn in TASKS.items():
        huey.accord_tasks[name] = huey.task(name=name)(_bind(rt, fn))
    for name, (fn, schedule) in PERIODIC.items():
        huey.periodic_task(schedule, name=name)(_bind(rt, fn))
    set_current_runtime(rt)
    return huey


def _bind(rt: Runtime, fn: Callable) -> Callable:
    def run(*args, **kwargs):
        return fn(rt, *args, **kwargs)
    run.__name__ = fn.__name__
    return run


def enqueue(rt: Runtime, name: str, *args):
    """Put one call of task `name` on the queue (in immediate mode it runs before this returns)."""
    return rt.huey.accord_tasks[name](*args)


EVERY_MINUTE = crontab(minute="*")
