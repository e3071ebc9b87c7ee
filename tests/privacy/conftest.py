"""Fixtures of the anonymisation tests that run its images away from the job's process (tests.privacy.cluster)."""

from tests.privacy.cluster import cluster as cluster
from tests.privacy.cluster import runtime_with as runtime_with
from tests.privacy.cluster import source as source
