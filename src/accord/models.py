"""Imports every domain's tables so the metadata (and Alembic) sees them all."""

from accord.access.models import Application, ApplicationEvent  # noqa: F401
from accord.audit.models import AuditEvent  # noqa: F401
from accord.catalog.models import Dataset, DatasetVersion, Item  # noqa: F401
from accord.db import Base  # noqa: F401
from accord.delivery.models import DownloadLog  # noqa: F401
from accord.entitlements.models import Entitlement  # noqa: F401
from accord.identity.models import ApiToken, LoginThrottle, Organisation, RoleGrant, User, WebSession  # noqa: F401
from accord.jobs.models import Job  # noqa: F401
from accord.notify.models import OutboxMessage  # noqa: F401
from accord.obligations.models import ApprovalRequest, Derivative, Publication, PublicationAsk  # noqa: F401
from accord.policy.models import PolicyVersion  # noqa: F401
from accord.privacy.models import BlobIndex, DeletionNotice, RemovalMatch, RemovalRequest  # noqa: F401
from accord.training.models import TrainingCertificate  # noqa: F401
