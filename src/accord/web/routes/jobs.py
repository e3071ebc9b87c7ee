"""A job's status page; htmx polls the status fragment every second until the job has finished."""

from fastapi import APIRouter, Request

from accord.http.deps import CurrentUser, Db
from accord.http.params import Id
from accord.jobs import service as jobs
from accord.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/jobs/{job_id}")
def job_page(request: Request, job_id: Id, db: Db, me: CurrentUser):
    job = jobs.get_for(db, job_id, user=me)
    return render(request, "jobs/job.html", job=job, finished=job.status in jobs.FINISHED)


@router.get("/jobs/{job_id}/status")
def job_status(request: Request, job_id: Id, db: Db, me: CurrentUser):
    job = jobs.get_for(db, job_id, user=me)
    return render(request, "jobs/_status.html", job=job, finished=job.status in jobs.FINISHED)
