"""Background jobs: RQ over Redis when configured, else a thread pool in this process."""
from app.jobs.queue import enqueue, init_jobs, wait_for_jobs

__all__ = ["enqueue", "init_jobs", "wait_for_jobs"]
