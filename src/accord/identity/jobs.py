"""The audit trail's scheduled jobs, wired here: identity knows who the admins are and may import notify, while
audit, which every domain writes to, imports no domain and is handed the mail's means (`audit.jobs.Post`)."""

from __future__ import annotations

from accord.audit import jobs as audit_jobs
from accord.identity import service as identity
from accord.jobs import queue
from accord.notify import service as notify

queue.PERIODIC.update(audit_jobs.periodic(audit_jobs.Post(identity.admin_emails, notify.queued, notify.enqueue)))
