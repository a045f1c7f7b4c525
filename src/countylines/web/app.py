"""The dashboard: `create_app(results_folder, workspace)` builds the FastAPI application.

Who may see what is `countylines.roles`' table: every route names the permission it needs
(`ROUTE_PERMISSIONS`, which the authorisation tests walk). A request is signed in either by the
session cookie of a browser login or by an API token (`Authorization: Bearer clt_…`). A state
change from a browser (login, logout) needs the session's CSRF token, and the login form is
throttled like the command line's. Pages are server-rendered Jinja2 templates with
autoescaping; the Content-Security-Policy allows scripts, styles and images from the app only.
Viewing a line's numbers or a person (person-level data, pseudonymised) and every download are
audit-logged, through one writer thread that commits the entries of concurrent requests
together (`countylines.audit_writer`); a request returns only once its entry is on disk.
Responses that do not change while the results are served are encoded to JSON once.
"""

import asyncio
import hmac
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import jinja2
from fastapi import Depends, FastAPI, Form, HTTPException, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, TypeAdapter
from starlette.concurrency import run_in_threadpool

from countylines import audit
from countylines.audit_writer import GroupWriter
from countylines.roles import Permission, User, allows
from countylines.throttle import LoginThrottle, Throttled
from countylines.users import AuthError, StoredFailures, authenticate, verify_token
from countylines.web import downloads, sessions
from countylines.web.analyses import Movement, Places, Violence
from countylines.web.results import (
    Home,
    Line,
    LineDetail,
    Person,
    PersonDetail,
    Results,
    Revealed,
    RevealRequest,
    Summary,
)
from countylines.web.upload_routes import add_upload_routes
from countylines.workspace import ThreadWorkspace, Workspace

HERE = Path(__file__).parent
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
"""Sent with every response."""

ROUTE_PERMISSIONS: dict[str, Permission | None] = {
    "GET /login": None,
    "POST /login": None,
    "POST /logout": None,
    "GET /healthz": None,
    "GET /openapi.json": None,
    "GET /": Permission.VIEW_AGGREGATES,
    "GET /api/summary": Permission.VIEW_AGGREGATES,
    "GET /map": Permission.VIEW_AGGREGATES,
    "GET /api/map": Permission.VIEW_AGGREGATES,
    "GET /places": Permission.VIEW_AGGREGATES,
    "GET /api/places": Permission.VIEW_AGGREGATES,
    "GET /downloads": Permission.VIEW_AGGREGATES,
    "GET /download/{path:path}": Permission.VIEW_AGGREGATES,
    "GET /violence": Permission.VIEW_LINES,
    "GET /api/violence": Permission.VIEW_LINES,
    "GET /movement": Permission.VIEW_LINES,
    "GET /api/movement": Permission.VIEW_LINES,
    "GET /lines": Permission.VIEW_LINES,
    "GET /api/lines": Permission.VIEW_LINES,
    "GET /lines/{line_id}": Permission.VIEW_LINES,
    "GET /api/lines/{line_id}": Permission.VIEW_LINES,
    "GET /people": Permission.VIEW_PSEUDONYMISED_PEOPLE,
    "GET /api/people": Permission.VIEW_PSEUDONYMISED_PEOPLE,
    "GET /homes": Permission.VIEW_PSEUDONYMISED_PEOPLE,
    "GET /api/homes": Permission.VIEW_PSEUDONYMISED_PEOPLE,
    "GET /people/{token}": Permission.VIEW_PERSON_DETAILS,
    "GET /api/people/{token}": Permission.VIEW_PERSON_DETAILS,
    "GET /reveal": Permission.REVEAL_IDENTIFIERS,
    "POST /reveal": Permission.REVEAL_IDENTIFIERS,
    "POST /api/reveal": Permission.REVEAL_IDENTIFIERS,
    "GET /api/uploads": Permission.UPLOAD_CASE_FILES,
    "PUT /api/uploads/{case}/{name}": Permission.UPLOAD_CASE_FILES,
}
"""Every route and the permission it needs (None: open). docs/security.md lists these.
`/download/{path:path}` checks, beyond this, the permission of the file (`web.downloads`)."""


MAX_CACHED = 10_000
"""At most this many line ids are remembered (a client asking for made-up ids cannot grow the
cache without bound)."""


class Problem(BaseModel):
    """An error response: what went wrong, in words."""

    detail: str


API_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No valid API token or session"},
    403: {"model": Problem, "description": "The user's role lacks the permission"},
}
"""Error responses every API route documents (404 too where it takes an id)."""


class NotSignedIn(Exception):
    """A request without a valid session or token."""


@dataclass(frozen=True)
class Signed:
    """A signed-in request: the user, and its session's CSRF token (None for an API token)."""

    user: User
    csrf: str | None


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def create_app(results: Path, ws: Workspace, uploads: Path | None = None) -> FastAPI:
    """The dashboard over the output folder `results`, with users and audit from `ws`, and the
    upload API into the folder `uploads` (None: uploads are off; `web.upload_routes`)."""
    key = ws.key(results)
    data = Results(results, key)
    ws = ThreadWorkspace(ws.home)  # one connection per worker thread, not one per request
    writer = GroupWriter(ws)
    target = str(results.resolve())
    encoded: dict[str, bytes] = {}

    async def log(user: User, action: str, records: list[str], reason: str = "") -> None:
        """Append an audit entry; returns once it is on disk (without holding a thread)."""
        await asyncio.wrap_future(writer.submit(user.name, action, target, records, reason))

    remembered: dict[tuple[str, str], dict[str, Any] | None] = {}

    def lookup(kind: str, key: str, find: Callable[[str], dict[str, Any] | None]) -> Any:
        """`find(key)`, remembered (at most MAX_CACHED keys: made-up ids cannot grow it)."""
        if (kind, key) in remembered:
            return remembered[(kind, key)]
        found = find(key)
        if len(remembered) < MAX_CACHED:
            remembered[(kind, key)] = found
        return found

    def cached_json(name: str, shape: Any, build: Callable[[], Any]) -> Response:
        """The response `name`: what `build` returns, checked as `shape` and encoded once (the
        results do not change while they are served)."""
        if name not in encoded:
            adapter = TypeAdapter(shape)
            encoded[name] = adapter.dump_json(adapter.validate_python(build()))
        return Response(encoded[name], media_type="application/json")

    templates = Jinja2Templates(
        env=jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True)
    )
    throttle = LoginThrottle(StoredFailures(ws))
    app = FastAPI(title="countylines dashboard", version="1", docs_url=None, redoc_url=None)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.middleware("http")
    async def headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "sign in first"}, status_code=401)
        return RedirectResponse("/login", status_code=303)

    def signed_in(request: Request) -> Signed:
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            try:
                return Signed(verify_token(ws, auth[7:]), None)
            except AuthError:
                raise NotSignedIn from None
        cookie = request.cookies.get(sessions.COOKIE)
        session = sessions.find(ws, cookie) if cookie else None
        if session is None:
            raise NotSignedIn
        return Signed(session.user, session.csrf)

    def needs(permission: Permission) -> Callable[[Request], Awaitable[Signed]]:
        # async: checked on the event loop (a read on its kept connection), not in a thread.
        async def check(request: Request) -> Signed:
            signed = signed_in(request)
            if not allows(signed.user.role, permission):
                role = signed.user.role.value
                raise HTTPException(403, f"your role ({role}) may not see this page")
            return signed

        return check

    def page(request: Request, name: str, signed: Signed | None, **context: Any) -> HTMLResponse:
        user, csrf = (signed.user, signed.csrf) if signed else (None, None)
        perms = {p.value for p in Permission if user is not None and allows(user.role, p)}
        return templates.TemplateResponse(
            request, name, {"user": user, "session_csrf": csrf, "perms": perms,
                            "can_reveal": Permission.REVEAL_IDENTIFIERS.value in perms,
                            **context}
        )  # fmt: skip

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request) -> HTMLResponse:
        token = secrets.token_urlsafe(32)
        response = page(request, "login.html", None, login_csrf=token, error=None)
        response.set_cookie("countylines_login", token, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")  # fmt: skip
        return response

    @app.post("/login", response_class=HTMLResponse, include_in_schema=False)
    def login(
        request: Request,
        username: Annotated[str, Form(max_length=200)],
        password: Annotated[str, Form(max_length=1000)],
        csrf: Annotated[str, Form(max_length=200)],
    ) -> Response:
        expected = request.cookies.get("countylines_login", "")
        if not expected or not hmac.compare_digest(expected, csrf):
            raise HTTPException(403, "the login form expired; reload the page")
        try:
            user = authenticate(ws, username, password, throttle, client=_client(request))
        except (AuthError, Throttled) as exc:
            status = 429 if isinstance(exc, Throttled) else 401
            refused = page(request, "login.html", None, login_csrf=expected, error=str(exc))
            refused.status_code = status
            if isinstance(exc, Throttled):
                refused.headers["Retry-After"] = str(max(1, round(exc.retry_after)))
            return refused
        session_id, _ = sessions.start(ws, user)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(sessions.COOKIE, session_id, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https",
                            max_age=sessions.MAX_AGE_S)  # fmt: skip
        response.delete_cookie("countylines_login")
        return response

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
        expected = signed_in(request).csrf
        if expected is not None and not hmac.compare_digest(expected, csrf):
            raise HTTPException(403, "missing or wrong CSRF token")
        cookie = request.cookies.get(sessions.COOKIE)
        if cookie:
            sessions.end(ws, cookie)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(sessions.COOKIE)
        return response

    Aggregates = Annotated[Signed, Depends(needs(Permission.VIEW_AGGREGATES))]
    Lines = Annotated[Signed, Depends(needs(Permission.VIEW_LINES))]

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def overview(request: Request, signed: Aggregates) -> HTMLResponse:
        return page(request, "overview.html", signed, summary=data.summary())

    @app.get("/api/summary", responses=API_ERRORS, response_model=Summary)
    async def api_summary(signed: Aggregates) -> Response:
        return cached_json("summary", Summary, data.summary)

    @app.get("/map", response_class=HTMLResponse, include_in_schema=False)
    async def map_page(request: Request, signed: Aggregates) -> HTMLResponse:
        # map_json() is JSON without any <, > or & (see maps.html.script_json): safe to embed.
        return page(request, "map.html", signed, map_json=data.map_json())

    @app.get(
        "/api/map",
        responses={**API_ERRORS, 404: {"model": Problem, "description": "No places analysis"}},
    )
    async def api_map(signed: Aggregates) -> dict[str, Any]:
        text = data.map_json()
        if text is None:
            raise HTTPException(404, "these results have no places analysis")
        return dict(json.loads(text))

    @app.get("/lines", response_class=HTMLResponse, include_in_schema=False)
    async def line_register(request: Request, signed: Lines) -> HTMLResponse:
        return page(request, "lines.html", signed, lines=data.line_register())

    @app.get("/api/lines", responses=API_ERRORS, response_model=list[Line])
    async def api_lines(signed: Lines) -> Response:
        return cached_json("lines", list[Line], data.line_register)

    async def one_line(user: User, line_id: str) -> dict[str, Any]:
        line = lookup("line", line_id, data.line)
        if line is None:
            raise HTTPException(404, "no such line")
        await log(user, "consult", [f"line:{line_id}", f"numbers:{len(line['numbers'])}"])
        return dict(line)

    @app.get("/lines/{line_id}", response_class=HTMLResponse, include_in_schema=False)
    async def line_page(request: Request, line_id: str, signed: Lines) -> HTMLResponse:
        return page(request, "line.html", signed, line=await one_line(signed.user, line_id))

    People = Annotated[Signed, Depends(needs(Permission.VIEW_PSEUDONYMISED_PEOPLE))]

    async def consulted(user: User, what: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        await log(user, "consult", [f"{what}:{len(rows)}"])
        return rows

    @app.get("/people", response_class=HTMLResponse, include_in_schema=False)
    async def people_page(request: Request, signed: People) -> HTMLResponse:
        rows = await consulted(signed.user, "safeguarding", data.people())
        return page(request, "people.html", signed, people=rows)

    @app.get("/api/people", responses=API_ERRORS)
    async def api_people(signed: People) -> list[Person]:
        return [Person(**r) for r in await consulted(signed.user, "safeguarding", data.people())]

    @app.get("/homes", response_class=HTMLResponse, include_in_schema=False)
    async def homes_page(request: Request, signed: People) -> HTMLResponse:
        rows = await consulted(signed.user, "cuckooed_addresses", data.cuckooed())
        return page(request, "homes.html", signed, homes=rows)

    @app.get("/api/homes", responses=API_ERRORS)
    async def api_homes(signed: People) -> list[Home]:
        rows = await consulted(signed.user, "cuckooed_addresses", data.cuckooed())
        return [Home(**r) for r in rows]

    Revealer = Annotated[Signed, Depends(needs(Permission.REVEAL_IDENTIFIERS))]

    async def reveal(user: User, token: str, reason: str) -> Revealed:
        try:
            why = audit.check_reason(reason)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None
        value = await run_in_threadpool(data.reveal, token)
        await log(user, "reveal", [token.strip(), f"matches:{int(value is not None)}"], why)
        return Revealed(pseudonym=token.strip(), value=value)

    @app.get("/reveal", response_class=HTMLResponse, include_in_schema=False)
    async def reveal_form(request: Request, signed: Revealer, pseudonym: str = "") -> HTMLResponse:
        return page(request, "reveal.html", signed, pseudonym=pseudonym[:100], revealed=None)

    @app.post("/reveal", response_class=HTMLResponse, include_in_schema=False)
    async def reveal_page(
        request: Request,
        signed: Revealer,
        pseudonym: Annotated[str, Form(max_length=100)],
        reason: Annotated[str, Form(max_length=2000)],
        csrf: Annotated[str, Form(max_length=200)] = "",
    ) -> HTMLResponse:
        if signed.csrf is not None and not hmac.compare_digest(signed.csrf, csrf):
            raise HTTPException(403, "missing or wrong CSRF token")
        revealed = await reveal(signed.user, pseudonym, reason)
        return page(request, "reveal.html", signed, pseudonym=pseudonym, revealed=revealed)

    @app.post(
        "/api/reveal",
        responses={**API_ERRORS, 400: {"model": Problem, "description": "No or bad reason"}},
    )
    async def api_reveal(body: RevealRequest, signed: Revealer) -> Revealed:
        if signed.csrf is not None:
            raise HTTPException(403, "use an API token for the API, or the form on /reveal")
        return await reveal(signed.user, body.pseudonym, body.reason)

    @app.get(
        "/api/lines/{line_id}",
        responses={**API_ERRORS, 404: {"model": Problem, "description": "No such line"}},
        response_model=LineDetail,
    )
    async def api_line(line_id: str, signed: Lines) -> Response:
        line = await one_line(signed.user, line_id)
        return cached_json(f"line:{line_id}", LineDetail, lambda: line)

    def analysis(name: str, shape: type[BaseModel], read: Callable[[], Any], who: Any) -> None:
        """The page `/name` (template `name.html`, the data as `name`) and the API `/api/name`
        of one analysis, both needing the dependency `who`."""

        async def html(request: Request, signed: who) -> HTMLResponse:
            return page(request, f"{name}.html", signed, **{name: read()})

        async def api(signed: who) -> Response:
            return cached_json(name, shape, read)

        app.get(f"/{name}", response_class=HTMLResponse, include_in_schema=False,
                name=f"{name}_page")(html)  # fmt: skip
        app.get(f"/api/{name}", responses=API_ERRORS, response_model=shape,
                name=f"api_{name}")(api)  # fmt: skip

    analysis("places", Places, data.places, Aggregates)
    analysis("violence", Violence, data.violence, Lines)
    analysis("movement", Movement, data.movement, Lines)

    Safeguarding = Annotated[Signed, Depends(needs(Permission.VIEW_PERSON_DETAILS))]

    async def one_person(user: User, token: str) -> dict[str, Any]:
        person = lookup("person", token.strip(), data.person)
        await log(user, "consult", [token.strip()[:100], f"found:{int(person is not None)}"])
        if person is None:
            raise HTTPException(404, "no such person on the safeguarding list")
        return person

    @app.get("/people/{token}", response_class=HTMLResponse, include_in_schema=False)
    async def person_page(request: Request, token: str, signed: Safeguarding) -> HTMLResponse:
        return page(request, "person.html", signed, person=await one_person(signed.user, token))

    @app.get(
        "/api/people/{token}",
        responses={**API_ERRORS, 404: {"model": Problem, "description": "No such person"}},
        response_model=PersonDetail,
    )
    async def api_person(token: str, signed: Safeguarding) -> Response:
        person = await one_person(signed.user, token)
        return cached_json(f"person:{token.strip()}", PersonDetail, lambda: person)

    @app.get("/downloads", response_class=HTMLResponse, include_in_schema=False)
    async def downloads_page(request: Request, signed: Aggregates) -> HTMLResponse:
        offered = [d for d in downloads.catalogue(results) if allows(signed.user.role,
                                                                     d.permission)]  # fmt: skip
        return page(request, "downloads.html", signed, files=offered)

    @app.get("/download/{path:path}", include_in_schema=False)
    async def download(path: str, signed: Aggregates) -> FileResponse:
        try:
            file, offered = downloads.resolve(results, path)
        except downloads.NotOffered:
            raise HTTPException(404, "no such download") from None
        if not allows(signed.user.role, offered.permission):
            raise HTTPException(403, f"your role ({signed.user.role.value}) may not download "
                                     "this file")  # fmt: skip
        await log(signed.user, "disclose", [f"file:{offered.path}", f"bytes:{offered.size}"])
        return FileResponse(file, filename=file.name)

    add_upload_routes(app, ws, uploads, needs(Permission.UPLOAD_CASE_FILES), API_ERRORS)
    return app
