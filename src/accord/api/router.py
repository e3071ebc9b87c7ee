"""REST API v1: thin JSON adapters over the services."""

from fastapi import APIRouter

from accord.api import (
    access,
    anonymise,
    audit,
    catalog,
    consent,
    delivery,
    entitlements,
    exports,
    identity,
    insights,
    jobs,
    obligations,
    policy,
    privacy,
    record,
    training,
)
from accord.api.problems import PROBLEM_RESPONSES

# Every route under /api/v1 declares the problem+json errors, whoever adds it.
router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES)
router.include_router(identity.router)
router.include_router(catalog.router)
router.include_router(jobs.router)
router.include_router(policy.router)
router.include_router(access.router)
router.include_router(delivery.router)
router.include_router(entitlements.router)
router.include_router(training.router)
router.include_router(privacy.router)
router.include_router(consent.router)
router.include_router(anonymise.router)
router.include_router(audit.router)
router.include_router(record.router)
router.include_router(obligations.router)
router.include_router(exports.router)
router.include_router(insights.router)
