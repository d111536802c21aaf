"""Bulk sending from a CSV file: one message per row, its body a template over the row.

The file needs a `to` (or `phone`) column; every other column may be named in the
template (`"Hi {name}, your table is at {time}"`). All of the file and the template is
checked before the first message goes, so a bad file sends nothing. Then each row is
sent through the SDK; a row whose number is not valid, that repeats an earlier number, or
whose recipient has opted out is skipped with its reason, and the run goes on.
"""

from __future__ import annotations

import csv
import string
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from smsgate.errors import ValidationError
from smsgate_client import (
    APIConnectionError,
    AuthenticationError,
    Client,
    InvalidPhoneNumberError,
    OptedOutError,
    SmsgateError,
)
from smsgate_client.phone import to_e164

Outcome = Literal["sent", "skipped", "failed"]
PHONE_COLUMNS = ("to", "phone")


@dataclass(frozen=True, slots=True)
class Recipient:
    row: int  # the line in the file, header = 1
    to: str
    fields: dict[str, str]


@dataclass(frozen=True, slots=True)
class RowResult:
    row: int
    to: str
    status: Outcome
    message_id: str | None = None
    code: int | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class BulkPlan:
    """A checked file: the template, and the rows in order."""

    template: str
    phone_column: str
    recipients: list[Recipient]


def _template_fields(template: str) -> list[str]:
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValidationError(
            f"The body template {template!r} is not valid: {exc}. Write fields as {{column}}, "
            "and a literal brace as {{ or }}.",
            field="body_template",
        ) from None
    fields = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name or name.isdigit() or any(c in name for c in ".[]"):
            raise ValidationError(
                f"The body template has the field {{{name}}}; name a column of the CSV file "
                "instead, like {name}.",
                field="body_template",
            )
        if spec or conversion:
            raise ValidationError(
                f"The body template's field {{{name}}} has a format or conversion; write the "
                "plain {column}.",
                field="body_template",
            )
        fields.append(name)
    return fields


def read_plan(path: Path, template: str) -> BulkPlan:
    """Check the CSV file and the template together; ValidationError says what to fix."""
    if not template.strip():
        raise ValidationError("The body template is empty.", field="body_template")
    needed = _template_fields(template)
    try:
        with path.open(newline="", encoding="utf-8-sig") as file:
            reader = csv.DictReader(file, strict=True)
            header = [h.strip() for h in reader.fieldnames or []]
            reader.fieldnames = header
            if not header:
                raise ValidationError(f"{path} is empty; it needs a header row with a 'to' column.")
            column = next((c for c in PHONE_COLUMNS if c in header), None)
            if column is None:
                raise ValidationError(
                    f"{path} has no 'to' or 'phone' column (its columns: {', '.join(header)})."
                )
            missing = [name for name in needed if name not in header]
            if missing:
                raise ValidationError(
                    f"The body template uses {{{missing[0]}}}, which is not a column of {path} "
                    f"(its columns: {', '.join(header)}).",
                    field="body_template",
                )
            recipients = []
            for record in reader:
                if None in record:
                    raise ValidationError(
                        f"{path} line {reader.line_num} has more values than the header has "
                        "columns; quote values that contain commas."
                    )
                values = {k: (v or "").strip() for k, v in record.items() if k is not None}
                recipients.append(Recipient(reader.line_num, values.get(column, ""), values))
    except FileNotFoundError:
        raise ValidationError(f"There is no file {path}.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"Cannot read {path} as UTF-8 CSV: {exc}.") from None
    except csv.Error as exc:
        raise ValidationError(f"{path} is not valid CSV: {exc}.") from None
    if not recipients:
        raise ValidationError(f"{path} has a header but no rows to send to.")
    return BulkPlan(template, column, recipients)


def render(template: str, fields: dict[str, str]) -> str:
    return template.format_map(fields)


def send_all(
    client: Client,
    plan: BulkPlan,
    *,
    from_: str,
    region: str | None,
    idempotency_prefix: str | None = None,
    on_result: Callable[[RowResult], None] = lambda _: None,
) -> list[RowResult]:
    """Send every row in order. Connection and credential failures stop the run (they
    would fail every row alike); a refused row is recorded and the run goes on."""
    results = []
    for result in _results(client, plan, from_, region, idempotency_prefix):
        results.append(result)
        on_result(result)
    return results


def _results(
    client: Client,
    plan: BulkPlan,
    from_: str,
    region: str | None,
    idempotency_prefix: str | None,
) -> Iterator[RowResult]:
    first_row: dict[str, int] = {}
    for recipient in plan.recipients:
        try:
            to = to_e164(recipient.to, region=region)
        except InvalidPhoneNumberError as exc:
            yield RowResult(recipient.row, recipient.to, "skipped", reason=exc.reason)
            continue
        if to in first_row:
            reason = f"{to} already had a message from line {first_row[to]}."
            yield RowResult(recipient.row, to, "skipped", reason=reason)
            continue
        first_row[to] = recipient.row
        key = f"{idempotency_prefix}-{recipient.row}" if idempotency_prefix else None
        try:
            message = client.messages.send(
                to, render(plan.template, recipient.fields), from_=from_, idempotency_key=key
            )
        except OptedOutError as exc:
            yield RowResult(recipient.row, to, "skipped", code=exc.code, reason=exc.detail)
        except (APIConnectionError, AuthenticationError):
            raise
        except SmsgateError as exc:
            yield RowResult(recipient.row, to, "failed", code=exc.code, reason=exc.detail)
        else:
            yield RowResult(recipient.row, to, "sent", message_id=message.id)


def summary(results: list[RowResult]) -> dict[str, object]:
    """What `--json` prints: counts, then each row's outcome."""
    counts: dict[str, object] = {s: sum(r.status == s for r in results) for s in _OUTCOMES}
    return {**counts, "total": len(results), "rows": [asdict(r) for r in results]}


_OUTCOMES: tuple[Outcome, ...] = ("sent", "skipped", "failed")
