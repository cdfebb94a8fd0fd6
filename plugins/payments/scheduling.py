"""When a reservation's own jobs run: its expiry at ``expiresAt`` and its reminder before it.

Jobs are named by dotted path (``plugins.payments.jobs``), so services can schedule them
without importing the job module. Each reservation's jobs have stable ids: scheduling again
moves the job (an extension), ``unschedule`` cancels it (a purchase or a cancel). Both jobs
are idempotent and the per-minute sweeper does the same work, so a job lost with Redis
costs at most a minute of delay.
"""
from __future__ import annotations

import logging

from pc_app.toolkit import cancel_job, enqueue

from .services.clock import from_ms, now_ms

log = logging.getLogger("plugins.payments.scheduling")

EXPIRE = "plugins.payments.jobs.expire_reservation"
REMIND = "plugins.payments.jobs.remind_reservation"


def expiry_job_id(reservation_id: str) -> str:
    return f"payments-expire-{reservation_id}"


def reminder_job_id(reservation_id: str) -> str:
    return f"payments-remind-{reservation_id}"


def _not_before(epoch_ms: int):
    """RQ keeps a job's time in whole seconds (truncated): round up, so a job never runs before its time."""
    return from_ms(-(-epoch_ms // 1000) * 1000)


def schedule(reservation) -> None:
    """(Re)schedule the reservation's expiry and, when it is still ahead, its reminder."""
    try:
        enqueue(EXPIRE, reservation.id, at=_not_before(reservation.expires_ms), job_id=expiry_job_id(reservation.id),
                result_ttl=600)
        if reservation.remind_ms and reservation.remind_ms > now_ms():
            enqueue(REMIND, reservation.id, at=_not_before(reservation.remind_ms),
                    job_id=reminder_job_id(reservation.id), result_ttl=600)
        else:
            _cancel(reminder_job_id(reservation.id))
    except Exception:  # Redis down: the sweeper expires and reminds within a minute
        log.warning("could not schedule the jobs of reservation %s; the sweeper will run them", reservation.id)


def schedule_expiry(reservation) -> None:
    """Schedule the expiry again for when the reservation can end (its time, or the end of a payment's hold).

    Called by an expiry job that found nothing to do yet; the new job has its own id, since the
    running one still owns the reservation's.
    """
    due = max(reservation.expires_ms, reservation.paying_until_ms or 0)
    if due <= now_ms():
        return  # due already, yet not expirable: a state the sweeper resolves
    try:
        enqueue(EXPIRE, reservation.id, at=_not_before(due), job_id=f"{expiry_job_id(reservation.id)}-{due}",
                result_ttl=600)
    except Exception:
        log.warning("could not schedule the expiry of reservation %s again; the sweeper will", reservation.id)


def unschedule(reservation_id: str) -> None:
    """Cancel the reservation's jobs (purchased, cancelled, expired); a missing job is fine."""
    for job_id in (expiry_job_id(reservation_id), reminder_job_id(reservation_id)):
        _cancel(job_id)


def _cancel(job_id: str) -> None:
    try:
        cancel_job(job_id)
    except Exception:
        log.warning("could not cancel job %s; it will find nothing to do", job_id)


def cancel_reminder(reservation_id: str) -> None:
    """Cancel only the reminder (the expiry job may be the caller)."""
    _cancel(reminder_job_id(reservation_id))
