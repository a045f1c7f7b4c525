"""The dashboard's upload API: case files sent by scripts, kept only when the case stays valid.

`PUT /api/uploads/{case}/{name}` streams the request body (the file's bytes) into the uploads
folder given to `countylines serve --uploads DIR`, through `countylines.uploads.store_upload`
(safe names, a size bound counted as the bytes arrive, validation in a staging copy); `GET
/api/uploads` lists the cases and their files. Both need `upload_case_files`; a browser session
is refused (an API token only, so no cross-site request can upload). Every kept file is a
`collect` entry in the audit log; a refusal answers 400, 413 or 422 with the problems (file,
row, column) and changes nothing.
"""

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, BinaryIO

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from countylines import audit
from countylines.problems import Problem
from countylines.uploads import MAX_UPLOAD_BYTES, UploadRefused, case_files, store_upload
from countylines.workspace import Workspace

CHUNK = 1 << 20


class UploadRefusal(BaseModel):
    """Why an upload was not kept; the stored case is unchanged."""

    detail: str
    problems: list[Problem] = []
    """What validation found, as `countylines validate --json` gives it (file, row, column)."""


class UploadStored(BaseModel):
    """An upload that was kept: the case, the file, its size, the case's rows, warnings."""

    case: str
    name: str
    bytes: int
    rows: dict[str, int]
    warnings: list[Problem]


def _chunks(fh: BinaryIO) -> Iterator[bytes]:
    fh.seek(0)
    while chunk := fh.read(CHUNK):
        yield chunk


def add_upload_routes(
    app: FastAPI,
    ws: Workspace,
    folder: Path | None,
    signed: Callable[..., Any],
    errors: dict[int | str, dict[str, Any]],
    max_bytes: int = MAX_UPLOAD_BYTES,
) -> None:
    """Add the upload API to `app`: files go under `folder` (None: uploads are off, and the
    routes answer 404); `signed` is the dependency that checks `upload_case_files` and returns
    the signed-in request (`.user`, `.csrf`)."""
    Uploader = Annotated[Any, Depends(signed)]
    refusals = {
        **errors,
        400: {"model": UploadRefusal, "description": "Not a case name or case file name"},
        404: {"model": UploadRefusal, "description": "Uploads are not enabled"},
        413: {"model": UploadRefusal, "description": "The file is too large"},
        422: {"model": UploadRefusal, "description": "The case would not be valid with it"},
    }

    def enabled() -> Path:
        if folder is None:
            raise HTTPException(404, "uploads are not enabled (countylines serve --uploads DIR)")
        return folder

    @app.put("/api/uploads/{case}/{name}", responses=refusals, response_model=UploadStored)
    async def upload(case: str, name: str, request: Request, who: Uploader) -> Any:
        if who.csrf is not None:
            raise HTTPException(403, "upload with an API token, not a browser session")
        root = enabled()
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=root) as spool:
            size = 0
            async for chunk in request.stream():
                size += len(chunk)
                if size > max_bytes:
                    return _refused(UploadRefused(413, f"larger than {max_bytes:,} bytes"))
                spool.write(chunk)
            try:
                stored = await run_in_threadpool(
                    store_upload, root, case, name, _chunks(spool), max_bytes
                )
            except UploadRefused as exc:
                return _refused(exc)
        audit.record(ws, who.user.name, "collect", str((root / case).resolve()),
                     [f"file:{stored.name}", f"bytes:{stored.bytes}",
                      *(f"{t}:{n}" for t, n in stored.rows.items())])  # fmt: skip
        return UploadStored(**stored.__dict__)

    @app.get("/api/uploads", responses={**errors, 404: refusals[404]})
    def uploads(who: Uploader) -> dict[str, list[str]]:
        return case_files(enabled())


def _refused(exc: UploadRefused) -> JSONResponse:
    body = UploadRefusal.model_validate({"detail": str(exc), "problems": exc.problems})
    return JSONResponse(body.model_dump(mode="json"), status_code=exc.status)
