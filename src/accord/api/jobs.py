from fastapi import APIRouter

from accord.http.deps import CurrentUser, Db
from accord.http.params import Id
from accord.jobs import service as jobs
from accord.jobs.schemas import JobOut

router = APIRouter(tags=["jobs"])


@router.get("/jobs/{job_id}", response_model=JobOut)
def get_job(job_id: Id, db: Db, me: CurrentUser) -> JobOut:
    """A background job's status and progress (its creator or an administrator)."""
    return JobOut.model_validate(jobs.get_for(db, job_id, user=me))
