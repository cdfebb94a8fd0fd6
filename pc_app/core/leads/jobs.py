"""Background work on leads: large CSV imports."""
from flask import current_app


def run_lead_import(import_id: str) -> None:
    """Job: import the stored CSV of one LeadImport (idempotent; resumes from its checkpoint)."""
    from .csv_import import run_import_record

    run_import_record(import_id, current_app.config["LEADS_IMPORT_MAX_ROWS"])
