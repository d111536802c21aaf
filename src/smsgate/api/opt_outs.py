"""`/v1/opt-outs`: who asked not to be texted, by the whole account or by one number.

Entries come from STOP keywords, from this API and from imports; every change is kept in
an audit trail (`GET /v1/opt-outs/events`). A send to an opted-out handset is refused
with 21610. The export is CSV that the import takes back as it is.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Query, Request
from sqlalchemy import Connection
from starlette.responses import Response

from smsgate.api._body import body_doc, decode_body
from smsgate.api._fastpath import json_response, page_response
from smsgate.api.resources import timestamp
from smsgate.api.services import ApiServices
from smsgate.domain.ids import AccountId
from smsgate.domain.phone import parse_destination
from smsgate.errors import (
    FromNotOwnedError,
    NotFoundError,
    ValidationError,
)
from smsgate.store import numbers as number_store
from smsgate.store import opt_outs as opt_out_store
from smsgate.store.opt_outs import OptOut
from smsgate.store.writer import Call

MAX_IMPORT_ROWS = 100_000
EXPORT_HEADER = ("phone", "number", "source", "created_at")


class OptOutRequest(msgspec.Struct, forbid_unknown_fields=True):
    phone: str
    number: str | None = None


class OptOutImport(msgspec.Struct, forbid_unknown_fields=True):
    opt_outs: list[OptOutRequest]


_decoder = msgspec.json.Decoder(OptOutRequest)
_import_decoder = msgspec.json.Decoder(OptOutImport)


def opt_out_resource(entry: OptOut) -> dict[str, Any]:
    return {
        "phone": entry.phone,
        "number": entry.number,
        "source": entry.source,
        "created_at": timestamp(entry.created_at),
    }


def _check_number(connection: Connection, account_id: AccountId, number: str | None) -> None:
    if number is not None and not number_store.owns_number(connection, account_id, number):
        raise FromNotOwnedError(
            f"{number} is not a number of this account; give one of its numbers, or leave "
            "'number' out to opt out of the whole account.",
            field="number",
        )


def _csv_rows(text: str) -> list[OptOutRequest]:
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or "phone" not in [f.strip() for f in reader.fieldnames]:
        raise ValidationError(
            "The CSV needs a header line naming a 'phone' column (and optionally 'number'), "
            "e.g. 'phone,number'.",
            field="phone",
        )
    rows: list[OptOutRequest] = []
    for raw in reader:
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        rows.append(OptOutRequest(row.get("phone", ""), row.get("number") or None))
    return rows


def _opt_out(
    connection: Connection, account_id: AccountId, phone: str, number: str | None, at: datetime
) -> tuple[OptOut, bool]:
    _check_number(connection, account_id, number)
    return opt_out_store.opt_out(connection, account_id, phone, number, source="api", at=at)


def _opt_in(
    connection: Connection, account_id: AccountId, phone: str, number: str | None, at: datetime
) -> None:
    removed = opt_out_store.opt_in(connection, account_id, phone, [number], source="api", at=at)
    if not removed:
        where = f"number {number}" if number else "the whole account"
        raise NotFoundError(f"{phone} is not opted out of {where}.")


def _import_opt_outs(
    connection: Connection, account_id: AccountId, rows: list[OptOutRequest], at: datetime
) -> dict[str, Any]:
    imported = existing = 0
    rejected = []
    for index, row in enumerate(rows, 1):
        try:
            phone = parse_destination(row.phone, field="phone").e164
            _check_number(connection, account_id, row.number)
        except ValidationError as exc:
            rejected.append(
                {"row": index, "phone": row.phone, "code": int(exc.code), "detail": exc.detail}
            )
            continue
        _, created = opt_out_store.opt_out(
            connection, account_id, phone, row.number, source="import", at=at
        )
        imported += created
        existing += not created
    return {"imported": imported, "existing": existing, "rejected": rejected}


def build_router(services: ApiServices) -> APIRouter:
    router = APIRouter(prefix="/v1/opt-outs", tags=["opt-outs"])
    auth = services.auth

    @router.get("", summary="List opt-outs, oldest first")
    async def index(
        request: Request,
        phone: Annotated[str | None, Query()] = None,
        number: Annotated[str | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
        cursor: Annotated[str | None, Query()] = None,
    ) -> Response:
        principal = await auth(request)
        found, next_cursor = await services.database.read(
            lambda c: opt_out_store.list_opt_outs(
                c, principal.account_id, phone=phone, number=number, limit=limit, cursor=cursor
            )
        )
        return page_response("opt_outs", [opt_out_resource(e) for e in found], next_cursor)

    @router.post(
        "",
        status_code=201,
        summary="Opt a phone out (of one number, or of the whole account)",
        responses={200: {"description": "It was opted out already; the existing entry."}},
        openapi_extra=body_doc(OptOutRequest, {"phone": "+14155552671"}),
    )
    async def create(request: Request) -> Response:
        principal = await auth(request)
        body = decode_body(_decoder, await request.body(), "an opt-out")
        phone = parse_destination(body.phone, field="phone").e164
        entry, created = await services.writer.submit(
            Call(_opt_out, principal.account_id, phone, body.number, datetime.now(UTC))
        )
        return json_response(opt_out_resource(entry), 201 if created else 200)

    @router.delete("/{phone}", status_code=204, summary="Opt a phone back in")
    async def delete(
        phone: str, request: Request, number: Annotated[str | None, Query()] = None
    ) -> Response:
        principal = await auth(request)
        await services.writer.submit(
            Call(_opt_in, principal.account_id, phone, number, datetime.now(UTC))
        )
        return Response(status_code=204)

    @router.post(
        "/import",
        summary="Import opt-outs: JSON {opt_outs: [...]} or text/csv with a phone,number header",
        openapi_extra=body_doc(OptOutImport, {"opt_outs": [{"phone": "+14155552671"}]}),
    )
    async def import_(request: Request) -> Response:
        principal = await auth(request)
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        data = await request.body()
        rows: list[OptOutRequest]
        if content_type == "text/csv":
            try:
                rows = _csv_rows(data.decode("utf-8-sig"))
            except UnicodeDecodeError:
                raise ValidationError("The CSV is not UTF-8 text.") from None
        else:
            rows = list(decode_body(_import_decoder, data, "an opt-out import").opt_outs)
        if len(rows) > MAX_IMPORT_ROWS:
            raise ValidationError(
                f"The import has {len(rows)} rows; import at most {MAX_IMPORT_ROWS} at a time.",
                field="opt_outs",
            )
        return json_response(
            await services.writer.submit(
                Call(_import_opt_outs, principal.account_id, rows, datetime.now(UTC))
            )
        )

    @router.get(
        "/export",
        summary="Every opt-out as CSV (phone,number,source,created_at), re-importable",
        response_class=Response,
        responses={200: {"content": {"text/csv": {}}}},
    )
    async def export(request: Request) -> Response:
        principal = await auth(request)
        found, _ = await services.database.read(
            lambda c: opt_out_store.list_opt_outs(c, principal.account_id)
        )
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(EXPORT_HEADER)
        for entry in found:
            writer.writerow(
                (entry.phone, entry.number or "", entry.source, timestamp(entry.created_at))
            )
        return Response(
            out.getvalue(),
            media_type="text/csv",
            headers={"content-disposition": 'attachment; filename="opt-outs.csv"'},
        )

    @router.get("/events", summary="The audit trail: every opt-out and opt-in, oldest first")
    async def events(
        request: Request,
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
        cursor: Annotated[str | None, Query()] = None,
    ) -> Response:
        principal = await auth(request)
        found, next_cursor = await services.database.read(
            lambda c: opt_out_store.list_opt_out_events(
                c, principal.account_id, limit=limit, cursor=cursor
            )
        )
        return page_response(
            "events",
            [
                {
                    "phone": e.phone,
                    "number": e.number,
                    "action": e.action,
                    "source": e.source,
                    "at": timestamp(e.at),
                }
                for e in found
            ],
            next_cursor,
        )

    return router
