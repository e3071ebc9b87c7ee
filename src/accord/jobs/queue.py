"""The huey queue: SQLite file by default, Redis at scale, inline (immediate) in tests.

Task functions take the runtime as their first argument. They are kept in a plain registry and bound to one
runtime when `make_huey` registers them on that runtime's huey instance, so a worker needs nothing but the
runtime it was started with.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.api import Result

if TYPE_CHECKING:
    from accord.runtime import Runtime

log = logging.getLogger("accord.jobs")

Task = Callable[..., Any]  # fn(rt, *args)
Schedule = Callable[[datetime], bool]  # a huey crontab: does it run at this minute?
T = TypeVar("T", bound=Task)

TASKS: dict[str, Task] = {}  # name -> fn(rt, *args)
PERIODIC: dict[str, tuple[Task, Schedule]] = {}  # name -> (fn(rt), schedule)

_current: Runtime | None = None


def task(name: str) -> Callable[[T], T]:
    """Register `fn(rt, *args)` as a queue task called `name`."""

    def decorator(fn: T) -> T:
        TASKS[name] = fn
        return fn

    return decorator


def known(name: str) -> bool:
    """Whether `name` is a task; the domains' jobs modules are imported first, as a web process that has not
    built its queue yet (granian's) may not have imported the one that registers it."""
    if name not in TASKS:
        from accord import plugins

        plugins.provided("jobs")
    return name in TASKS


def periodic(name: str, schedule: Schedule) -> Callable[[T], T]:
    """Register `fn(rt)` to run on a huey crontab schedule (only where a consumer runs)."""

    def decorator(fn: T) -> T:
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


def make_huey(rt: Runtime) -> Huey:
    """Build the queue for this runtime and register every task on it, bound to the runtime."""
    from accord import plugins

    plugins.provided("jobs")  # each domain's jobs module registers its tasks when imported

    settings = rt.settings
    if settings.redis_url:
        huey = RedisHuey("accord", url=settings.redis_url, immediate=settings.jobs_immediate)
    else:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        huey = SqliteHuey("accord", filename=str(settings.data_dir / "jobs.db"), immediate=settings.jobs_immediate)
    huey.accord_tasks = {}
    for name, fn in TASKS.items():
        huey.accord_tasks[name] = huey.task(name=name)(_bind(rt, fn))
    for name, (fn, schedule) in PERIODIC.items():
        huey.periodic_task(schedule, name=name)(_bind(rt, fn))
    set_current_runtime(rt)
    return huey


def _bind(rt: Runtime, fn: Task) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        return fn(rt, *args, **kwargs)

    run.__name__ = fn.__name__
    return run


def enqueue(rt: Runtime, name: str, *args: Any) -> Result:
    """Put one call of task `name` on the queue (in immediate mode it runs before this returns)."""
    return rt.huey.accord_tasks[name](*args)


EVERY_MINUTE: Schedule = crontab(minute="*")
