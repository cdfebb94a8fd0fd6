"""Turning a CSV file into leads: header checks, per-row validation, duplicates, batched inserts.

Each row is validated with the same schema as ``POST /v1/leads`` and becomes one document in
one insert, so a row is either imported whole or reported with its errors — never half. Rows
are numbered as a spreadsheet shows them: the header is row 1, the first lead row 2.
"""
from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass, field

import marshmallow as ma
from pymongo.errors import BulkWriteError

from ...actors import Actor
from ...events import emit
from ...errors import ServiceError
from ..fields import from_text
from ..models import Lead, LeadImport, utcnow
from .schemas import LeadWriteSchema

COLUMNS = ("firstName", "lastName", "email", "phone", "company", "companyDomain", "jobTitle", "seniority",
           "industry", "companySize", "country", "dealAmount", "dealStatus", "source")
REQUIRED_COLUMNS = ("firstName", "email")
BATCH_SIZE = 500
MAX_REPORTED_ERRORS = 1000
DEFAULT_SOURCE = "csv_import"
DUPLICATE_IN_DB = "You already have a lead with this e-mail address."


class ImportRefused(ServiceError):
    """The file as a whole cannot be imported (encoding, header, size); nothing was written."""

    def __init__(self, status: int, message: str, errors: dict):
        super().__init__(message, errors=errors)
        self.status = status


@dataclass
class ImportOutcome:
    """Running totals of one import; ``errors`` keeps the first MAX_REPORTED_ERRORS rows' errors."""
    imported: int = 0
    failed: int = 0
    errors: list = field(default_factory=list)
    errors_truncated: bool = False

    def reject(self, row: int, errors: dict) -> None:
        self.failed += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"row": row, "errors": errors})
        else:
            self.errors_truncated = True

    def as_dict(self) -> dict:
        return {"imported": self.imported, "failed": self.failed, "errors": self.errors,
                "errorsTruncated": self.errors_truncated}


@dataclass(frozen=True)
class ParsedFile:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (row number, cells)


def decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused(422, "The file must be CSV encoded as UTF-8.", {"file": ["Not UTF-8 text."]}) from None


def parse(text: str, max_rows: int) -> ParsedFile:
    """Check the header and split the rows; refuses the whole file on a structural problem."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise ImportRefused(422, "The file is empty; its first row must name the columns.",
                            {"file": ["No header row."]}) from None
    except csv.Error as exc:
        raise ImportRefused(422, f"The file is not valid CSV: {exc}.", {"file": [str(exc)]}) from None
    problems = []
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        problems.append(f"Unknown columns: {', '.join(unknown)}. Allowed: {', '.join(COLUMNS)}.")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        problems.append(f"Repeated columns: {', '.join(repeated)}.")
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        problems.append(f"Missing required columns: {', '.join(missing)}.")
    if problems:
        raise ImportRefused(422, "The header row is not usable: " + " ".join(problems), {"file": problems})
    rows = []
    try:
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue  # blank lines (often a trailing one) are not leads
            if len(rows) >= max_rows:
                raise ImportRefused(413, f"The file has more than {max_rows:,} rows; split it into smaller files.",
                                    {"file": [f"At most {max_rows} rows."]})
            rows.append((number, cells))
    except csv.Error as exc:
        raise ImportRefused(422, f"The file is not valid CSV near row {reader.line_num}: {exc}.",
                            {"file": [str(exc)]}) from None
    return ParsedFile(header, rows)


@functools.cache
def _row_schema() -> LeadWriteSchema:
    """One schema for every row: building one copies all its fields (the country list too),
    which cost about 280 µs a row against 40 µs for the load itself."""
    return LeadWriteSchema()


def _validate(header: list[str], cells: list[str]) -> tuple[dict | None, dict | None]:
    """(loaded lead fields, None) or (None, {field: [messages]})."""
    if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header):]):
        return None, {"_row": [f"The row has {len(cells)} cells but the header names {len(header)} columns."]}
    schema = _row_schema()
    # Cells are text, like a query string: each becomes its field's JSON type first ("5000" -> 5000).
    values = {name: from_text(schema.fields.get(name), cell.strip())
              for name, cell in zip(header, cells) if cell.strip()}
    try:
        data = schema.load(values)
    except ma.ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_row": exc.messages}
        return None, {name: list(msgs) if isinstance(msgs, list) else [str(msgs)] for name, msgs in messages.items()}
    data.setdefault("source", DEFAULT_SOURCE)
    return data, None


def import_rows(partner_id: str, header: list[str], rows, actor: Actor, outcome: ImportOutcome,
                import_id: str | None = None, seen_emails: dict | None = None) -> None:
    """Validate and insert one batch of rows, adding to ``outcome``.

    :param seen_emails: e-mail -> first row number across batches, for duplicates inside the file.
    """
    seen_emails = {} if seen_emails is None else seen_emails
    candidates: list[tuple[int, dict]] = []
    for number, cells in rows:
        data, errors = _validate(header, cells)
        if errors:
            outcome.reject(number, errors)
            continue
        first = seen_emails.setdefault(data["email"], number)
        if first != number:
            outcome.reject(number, {"email": [f"Repeats the e-mail address of row {first}."]})
            continue
        candidates.append((number, data))
    if not candidates:
        return

    keys = [Lead.make_email_key(partner_id, data["email"]) for _n, data in candidates]
    existing = {doc["email_key"]: doc.get("import_id") for doc in Lead._get_collection().find(
        {"email_key": {"$in": keys}}, {"email_key": 1, "import_id": 1})}
    documents, numbers = [], []
    for (number, data), key in zip(candidates, keys):
        if key in existing:
            if import_id and existing[key] == import_id:
                outcome.imported += 1  # written by an earlier run of this same import
            else:
                outcome.reject(number, {"email": [DUPLICATE_IN_DB]})
            continue
        lead = Lead(partner=partner_id, updated_by=actor, import_id=import_id, email_key=key, **data)
        lead.validate()
        documents.append(lead.to_mongo().to_dict())
        numbers.append(number)
    if not documents:
        return

    raced: set[int] = set()
    try:
        Lead._get_collection().insert_many(documents, ordered=False)
    except BulkWriteError as exc:
        for error in exc.details.get("writeErrors", []):
            if error.get("code") != 11000:
                raise
            raced.add(error["index"])  # created meanwhile by someone else: a duplicate after all
    inserted_ids = []
    for index, (number, document) in enumerate(zip(numbers, documents)):
        if index in raced:
            outcome.reject(number, {"email": [DUPLICATE_IN_DB]})
        else:
            outcome.imported += 1
            inserted_ids.append(str(document["_id"]))
    if inserted_ids:
        emit("core.leads_imported", partner_ids=[partner_id], actor=actor,
             payload={"leadIds": inserted_ids, "importId": import_id})


def import_inline(partner_id: str, parsed: ParsedFile, actor: Actor) -> ImportOutcome:
    """Import a small file within the request."""
    outcome, seen = ImportOutcome(), {}
    for start in range(0, len(parsed.rows), BATCH_SIZE):
        import_rows(partner_id, parsed.header, parsed.rows[start:start + BATCH_SIZE], actor, outcome,
                    seen_emails=seen)
    outcome.errors.sort(key=lambda e: e["row"])
    return outcome


def run_import_record(import_id: str, max_rows: int) -> LeadImport | None:
    """Run (or resume) a queued import from its last checkpoint; a finished one is left alone."""
    record = LeadImport.objects(id=import_id, status__in=("queued", "running")).modify(
        new=True, set__status="running", set__started_at=utcnow(), set__updated_at=utcnow())
    if record is None:
        return None
    try:
        parsed = parse(record.content or "", max_rows)
        outcome = ImportOutcome(record.imported, record.failed, list(record.errors), record.errors_truncated)
        seen: dict = {}
        done = record.processed_rows
        # Rows before the checkpoint were handled by an earlier run; remember their e-mails.
        for number, cells in parsed.rows[:done]:
            data, errors = _validate(parsed.header, cells)
            if data:
                seen.setdefault(data["email"], number)
        for start in range(done, len(parsed.rows), BATCH_SIZE):
            batch = parsed.rows[start:start + BATCH_SIZE]
            import_rows(record.partner, parsed.header, batch, record.created_by, outcome,
                        import_id=str(record.id), seen_emails=seen)
            outcome.errors.sort(key=lambda e: e["row"])
            LeadImport.objects(id=record.id).update_one(
                set__processed_rows=start + len(batch), set__imported=outcome.imported, set__failed=outcome.failed,
                set__errors=outcome.errors, set__errors_truncated=outcome.errors_truncated,
                set__updated_at=utcnow())
        LeadImport.objects(id=record.id).update_one(set__status="completed", set__finished_at=utcnow(),
                                                    set__updated_at=utcnow(), unset__content=True)
    except Exception as exc:
        reason = exc.message if isinstance(exc, ImportRefused) else "The import stopped on an unexpected error."
        LeadImport.objects(id=record.id).update_one(set__status="failed", set__failure_reason=reason,
                                                    set__finished_at=utcnow(), set__updated_at=utcnow())
        if not isinstance(exc, ImportRefused):
            raise
    return LeadImport.objects(id=record.id).first()
