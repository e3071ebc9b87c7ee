"""Where the domains meet. Each hook lists what later domains provide to earlier ones, as "module:attribute"
strings (or bare modules for `jobs`), so that access, entitlements, policy and jobs call training, privacy,
obligations or sign-in without importing them: no import cycle between domains, and a new domain plugs in by
adding its lines here, without editing the domain it extends (as Warehouse's `includeme` does).

- `access.requirements`: objects following `access.requirements.Requirement`; an application is approved only
  when every one is met, and the applicant's "still needed" list is their fold.
- `access.preapproved`: `fn(db, application) -> str | None`: why no person need review this application once its
  checks pass (e.g. the custodian already approved giving the data to this party); None when a person must.
- `entitlements.pauses`: `fn(db, entitlement, policy, at) -> ((code, why) | None, until | None)`: a grant
  whose terms a domain cares about pauses (not ends) while that domain says so.
- `policy.terms_changed`: `fn(db, dataset_id, *, version, note, base_url)` once new terms were stored.
- `catalog.publishing`: `fn(db, version_id) -> str | None`: why a draft may not be published yet (or None).
- `catalog.published`: `fn(db, version_id, *, actor)` inside the unit of work that publishes a version.
- `record.sections`: `fn(db, user) -> record.schemas.Section | None`: what a domain adds to a person's own
  record (GDPR Art. 15) beside what the record gathers itself.
- `jobs`: modules whose import registers queue tasks and periodic jobs (`accord.jobs.queue.task/periodic`).
"""

from __future__ import annotations

import importlib
from functools import cache

HOOKS: dict[str, tuple[str, ...]] = {
    "access.requirements": ("accord.training.requirement:certificate",),
    "access.preapproved": ("accord.obligations.approvals:preapproved",),
    "entitlements.pauses": ("accord.training.requirement:paused", "accord.privacy.notices:paused"),
    "policy.terms_changed": ("accord.entitlements.service:terms_changed",),
    "catalog.publishing": ("accord.privacy.anonymise:publish_blocker",),
    "catalog.published": ("accord.privacy.jobs:on_published", "accord.privacy.anonymise:on_published"),
    "record.sections": (),
    "jobs": (
        "accord.notify.jobs",
        "accord.catalog.jobs",
        "accord.entitlements.jobs",
        "accord.access.jobs",
        "accord.training.jobs",
        "accord.identity.jobs",
        "accord.privacy.jobs",
        "accord.obligations.jobs",
    ),
}


@cache
def provided(hook: str) -> tuple:
    """What is registered for `hook`, imported on first use (a module for a bare name)."""
    out = []
    for target in HOOKS[hook]:
        module, _, attribute = target.partition(":")
        loaded = importlib.import_module(module)
        out.append(getattr(loaded, attribute) if attribute else loaded)
    return tuple(out)
