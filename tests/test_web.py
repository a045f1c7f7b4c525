"""The dashboard: sign-in, sessions, CSRF, every route against every role, escaping, audit.

Runs the FastAPI app in process (Starlette's TestClient) over a line register written by
`countylines.lines.report`, whose brands, towns and evidence are an XSS corpus.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import NUMBER, PASSWORD, REASON, VRM, XSS, add_user, write_hostile_results
from fastapi.testclient import TestClient

from countylines import audit
from countylines.pseudonym import TOKEN_RE, IdType, pseudonym
from countylines.roles import Role, allows
from countylines.users import create_token
from countylines.web import sessions
from countylines.web.app import ROUTE_PERMISSIONS, SECURITY_HEADERS, create_app
from countylines.workspace import Workspace, load_key


@pytest.fixture
def results(tmp_path: Path) -> Path:
    folder = write_hostile_results(tmp_path / "results")
    (folder / "work").mkdir()
    (folder / "work" / "case.duckdb").write_text("the loaded case: never offered")
    return folder


@pytest.fixture
def client(results: Path, workspace: Workspace) -> TestClient:
    for role in Role:
        add_user(workspace, role.value, role.value)
    uploads = results.parent / "uploads"
    return TestClient(create_app(results, workspace, uploads), base_url="https://testserver")


def _login(client: TestClient, name: str, password: str = PASSWORD) -> object:
    form = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf, form.text
    return client.post(
        "/login",
        data={"username": name, "password": password, "csrf": csrf.group(1)},
        follow_redirects=False,
    )


ROUTES = {
    "GET /": "/",
    "GET /api/summary": "/api/summary",
    "GET /map": "/map",
    "GET /api/map": "/api/map",
    "GET /lines": "/lines",
    "GET /api/lines": "/api/lines",
    "GET /lines/{line_id}": "/lines/L001",
    "GET /api/lines/{line_id}": "/api/lines/L001",
    "GET /people": "/people",
    "GET /api/people": "/api/people",
    "GET /homes": "/homes",
    "GET /api/homes": "/api/homes",
    "GET /reveal": "/reveal",
    "GET /places": "/places",
    "GET /api/places": "/api/places",
    "GET /violence": "/violence",
    "GET /api/violence": "/api/violence",
    "GET /movement": "/movement",
    "GET /api/movement": "/api/movement",
    "GET /downloads": "/downloads",
    "GET /download/{path:path}": "/download/report-public.html",
    "GET /people/{token}": "/people/{person}",
    "GET /api/people/{token}": "/api/people/{person}",
    "GET /api/uploads": "/api/uploads",
}
"""A path of each route; `{person}` is the pseudonym of the listed person P0007."""


def person_token(ws: Workspace) -> str:
    """The pseudonym of P0007, the person on the hostile results' safeguarding list."""
    return pseudonym("P0007", IdType.PERSON, load_key(ws.key_path))


def test_every_route_is_declared(client: TestClient) -> None:
    declared = set(ROUTE_PERMISSIONS)
    served = {
        f"{method} {route.path}"
        for route in client.app.routes  # type: ignore[attr-defined]
        for method in getattr(route, "methods", ()) or ()
        if method != "HEAD" and not route.path.startswith("/static")
    }
    assert served == declared
    posts = {"POST /reveal", "POST /api/reveal"}  # tested in test_reveal_*
    posts |= {"PUT /api/uploads/{case}/{name}"}  # tested in test_upload_*
    assert set(ROUTES) | posts == {r for r, p in ROUTE_PERMISSIONS.items() if p is not None}


@pytest.mark.parametrize("role", list(Role))
def test_authorisation_matrix_for_sessions_and_tokens(
    client: TestClient, workspace: Workspace, role: Role
) -> None:
    assert _login(client, role.value).status_code == 303
    token, _ = create_token(workspace, role.value)
    api = TestClient(client.app, base_url="https://testserver")
    for name, route in ROUTES.items():
        path = route.format(person=person_token(workspace))
        permission = ROUTE_PERMISSIONS[name]
        assert permission is not None
        expected = 200 if allows(role, permission) else 403
        assert client.get(path).status_code == expected, (role, path)
        response = api.get(path, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == expected, (role, path, "token")


def test_not_signed_in_is_sent_to_login_or_refused(client: TestClient) -> None:
    for path in (route.format(person="PE-x") for route in ROUTES.values()):
        response = client.get(path, follow_redirects=False)
        if path.startswith("/api/"):
            assert response.status_code == 401
        else:
            assert response.status_code == 303 and response.headers["location"] == "/login"
    bad = client.get("/api/lines", headers={"Authorization": "Bearer clt_nope_nope"})
    assert bad.status_code == 401
    client.cookies.set(sessions.COOKIE, "forged")
    assert client.get("/lines", follow_redirects=False).status_code == 303


def test_login_needs_the_form_token_and_the_right_password(client: TestClient) -> None:
    response = client.post(
        "/login", data={"username": "admin", "password": PASSWORD, "csrf": "guess"},
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 403
    assert _login(client, "admin", "wrong password").status_code == 401
    assert _login(client, "nobody").status_code == 401
    response = _login(client, "admin")
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    for flag in ("HttpOnly", "SameSite=strict", "Secure"):
        assert flag.lower() in cookie.lower()


def test_repeated_failures_are_throttled(client: TestClient) -> None:
    statuses = [_login(client, "analyst", "wrong password").status_code for _ in range(6)]
    assert statuses[:5] == [401] * 5
    throttled = _login(client, "analyst")
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) >= 1


def test_logout_needs_the_session_csrf_token_and_ends_the_session(client: TestClient) -> None:
    _login(client, "analyst")
    page = client.get("/lines")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    assert client.post("/logout", data={"csrf": "wrong"}).status_code == 403
    assert client.get("/lines").status_code == 200
    response = client.post("/logout", data={"csrf": token.group(1)}, follow_redirects=False)
    assert response.status_code == 303
    assert client.get("/lines", follow_redirects=False).status_code == 303


def test_sessions_expire_when_idle_or_old(workspace: Workspace) -> None:
    user = add_user(workspace, "ana", "analyst")
    session_id, _ = sessions.start(workspace, user, now=1000.0)
    assert sessions.find(workspace, session_id, now=1000.0 + sessions.IDLE_S - 1)
    assert sessions.find(workspace, session_id, now=1000.0 + 2 * sessions.IDLE_S) is None
    assert sessions.find(workspace, session_id, now=1000.0) is None  # deleted once expired
    old, _ = sessions.start(workspace, user, now=0.0)
    for t in range(0, sessions.MAX_AGE_S, sessions.IDLE_S // 2):
        assert sessions.find(workspace, old, now=float(t))
    assert sessions.find(workspace, old, now=float(sessions.MAX_AGE_S + 1)) is None


APP_SCRIPTS = (
    r'<script type="application/json" id="map-data">[^<]*</script>|'
    r'<script src="/static/vendor/leaflet/leaflet.js"></script>|'
    r'<script src="/static/map.js"></script>|'
    r'<script src="/static/sort.js" defer></script>'
)
"""The only script elements a page has: the map page's data block and its two scripts, and
the table sorter of the places, violence and movement pages."""


def test_every_page_escapes_hostile_text_and_sends_the_headers(
    client: TestClient, workspace: Workspace
) -> None:
    _login(client, "admin")
    person = f"/people/{person_token(workspace)}"
    for path in ("/", "/map", "/lines", "/lines/L001", "/lines/L002", "/people", "/homes",
                 "/login", "/places", "/violence", "/movement", "/downloads", person):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 200
        for header, value in SECURITY_HEADERS.items():
            assert response.headers[header] == value
        body = re.sub(APP_SCRIPTS, "", response.text)
        assert "<script" not in body and "<img" not in body, path  # only as escaped text
    assert "{{ 7 * 7 }}" in client.get("/lines/L002").text  # data is never a template
    for path in ("/lines", "/places", "/violence", "/movement", person):
        text = client.get(path).text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, path
    register = client.get("/lines").text
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in register
    assert "{{ 7 * 7 }}" in client.get("/places").text


def test_numbers_are_pseudonymised_and_line_views_audited(
    client: TestClient, workspace: Workspace
) -> None:
    _login(client, "analyst")
    before = len(list(audit.entries(workspace)))
    page = client.get("/lines/L001").text
    data = client.get("/api/lines/L001").json()
    assert NUMBER not in page and NUMBER.removeprefix("+44") not in page
    assert all(TOKEN_RE.fullmatch(n["number"]) for n in data["numbers"])
    assert all(n["number"].startswith("PH-") for n in data["numbers"])
    entries = list(audit.entries(workspace))[before:]
    assert [(e.user, e.action) for e in entries] == [("analyst", "consult")] * 2
    assert "line:L001" in entries[0].records
    assert client.get("/api/lines/L999").status_code == 404


def test_serve_refuses_what_it_cannot_serve_safely(
    results: Path, workspace: Workspace, tmp_path: Path
) -> None:
    from conftest import cli

    res = cli("serve", results, "--host", "0.0.0.0")
    assert res.exit_code == 2 and "without TLS" in res.stderr
    res = cli("serve", tmp_path / "nowhere")
    assert res.exit_code == 2 and "not a folder of results" in res.stderr
    res = cli("serve", results, "--home", tmp_path / "no-workspace")
    assert res.exit_code == 2 and "no countylines workspace" in res.stderr


def _csrf(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found
    return found.group(1)


def test_reveal_needs_the_role_a_reason_and_is_audited(
    client: TestClient, workspace: Workspace
) -> None:
    token = client.get(
        "/api/lines/L001",
        headers={"Authorization": f"Bearer {create_token(workspace, 'admin')[0]}"},
    ).json()
    pseudonym = next(n["number"] for n in token["numbers"] if n["role"] == "deal_line")
    _login(client, "analyst")
    assert client.post("/reveal", data={"pseudonym": pseudonym, "reason": REASON,
                                        "csrf": "x"}).status_code == 403  # fmt: skip
    client.cookies.clear()
    _login(client, "safeguarding")
    csrf = _csrf(client, f"/reveal?pseudonym={pseudonym}")
    assert client.post("/reveal", data={"pseudonym": pseudonym, "reason": REASON,
                                        "csrf": "wrong"}).status_code == 403  # fmt: skip
    short = client.post("/reveal", data={"pseudonym": pseudonym, "reason": "x", "csrf": csrf})
    assert short.status_code == 400
    shown = client.post("/reveal", data={"pseudonym": pseudonym, "reason": REASON, "csrf": csrf})
    assert shown.status_code == 200 and NUMBER in shown.text
    last = list(audit.entries(workspace))[-1]
    assert (last.user, last.action, last.reason) == ("safeguarding", "reveal", REASON)
    assert pseudonym in last.records


def test_reveal_by_api_token(client: TestClient, workspace: Workspace) -> None:
    for role, expected in (("analyst", 403), ("safeguarding", 200)):
        auth = {"Authorization": f"Bearer {create_token(workspace, role)[0]}"}
        line = client.get("/api/lines/L001", headers=auth)
        pseudonym = line.json()["numbers"][0]["number"] if expected == 200 else "PH-x"
        response = client.post("/api/reveal", json={"pseudonym": pseudonym, "reason": REASON},
                               headers=auth)  # fmt: skip
        assert response.status_code == expected, role
    assert response.json() == {"pseudonym": pseudonym, "value": NUMBER}


def test_people_and_homes_are_pseudonymised_and_audited(
    client: TestClient, workspace: Workspace
) -> None:
    _login(client, "analyst")
    before = len(list(audit.entries(workspace)))
    people = client.get("/api/people").json()
    homes = client.get("/api/homes").json()
    page = client.get("/people").text + client.get("/homes").text
    for raw in ("P0007", "P0009", NUMBER):
        assert raw not in page and raw not in str(people) + str(homes), raw
    assert people[0]["person"].startswith("PE-") and homes[0]["occupant"].startswith("PE-")
    assert people[0]["person"] in people[0]["evidence"]  # the id in the text, pseudonymised
    assert "PH-" in people[0]["evidence"]
    entries = list(audit.entries(workspace))[before:]
    assert [e.action for e in entries] == ["consult"] * 4
    assert "safeguarding:1" in entries[0].records


def test_the_map_page_embeds_the_places_map_safely(client: TestClient) -> None:
    _login(client, "viewer")
    layers = client.get("/api/map").json()
    assert len(layers["areas"]["features"]) == 2 and len(layers["links"]["features"]) == 1
    page = client.get("/map").text
    data = re.search(r'<script type="application/json" id="map-data">(.*?)</script>', page, re.S)
    assert data and "<" not in data.group(1) and json.loads(data.group(1)) == layers
    assert '<script src="/static/map.js"></script>' in page


def _offered(client: TestClient) -> set[str]:
    return set(re.findall(r'<a href="/download/([^"]+)" download>', client.get("/downloads").text))


def test_downloads_are_offered_by_role_and_audited(
    client: TestClient, results: Path, workspace: Workspace
) -> None:
    (results / "network").mkdir()
    (results / "network" / "pole.graphml").write_text("<graphml/>")  # a later step's export
    public = {"report-public.html", "report-public.pdf", "places/towns.csv", "places/places.csv",
              "places/place_factors.csv", "places/places_map.json"}  # fmt: skip
    analyst = public | {"report.html", "lines/lines.csv", "lines/lines.parquet",
                        "lines/line_numbers.parquet", "violence/violence.parquet",
                        "violence/rivalries.parquet", "network/pole.graphml"}  # fmt: skip
    offered = {}
    for role in ("viewer", "analyst", "safeguarding"):
        client.cookies.clear()
        _login(client, role)
        offered[role] = _offered(client)
    assert offered["viewer"] == public
    assert analyst <= offered["analyst"] and not any(
        p.startswith(("people/", "work/")) for p in offered["analyst"]
    )
    assert "people/safeguarding.parquet" in offered["safeguarding"]
    assert not any(p.startswith("work/") or p == "steps.json" for p in offered["safeguarding"])
    before = len(list(audit.entries(workspace)))
    got = client.get("/download/violence/rivalries.parquet")
    assert got.status_code == 200 and got.content == (results / "violence" /
                                                      "rivalries.parquet").read_bytes()  # fmt: skip
    assert "attachment" in got.headers["content-disposition"]
    last = list(audit.entries(workspace))[before:]
    assert [(e.user, e.action) for e in last] == [("safeguarding", "disclose")]
    assert "file:violence/rivalries.parquet" in last[0].records
    client.cookies.clear()
    _login(client, "analyst")
    assert client.get("/download/people/safeguarding.parquet").status_code == 403
    client.cookies.clear()
    _login(client, "viewer")
    assert client.get("/download/lines/lines.csv").status_code == 403
    assert client.get("/download/report-public.pdf").status_code == 200


def test_downloads_refuse_paths_outside_the_offered_files(
    client: TestClient, results: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("outside the results")
    (results / "places" / "escape.csv").symlink_to(secret)
    (results / "places" / "case.csv").symlink_to(results / "work" / "case.duckdb")
    (results / "exports").symlink_to(tmp_path)  # a whole folder pointing outside
    (results / "places" / ".hidden.csv").write_text("hidden")
    _login(client, "admin")
    offered = _offered(client)
    assert offered and not any("escape" in p or "case" in p or "secret" in p for p in offered)
    for path in (
        "work/case.duckdb",
        "steps.json",
        "places/escape.csv",
        "places/case.csv",
        "exports/secret.csv",
        "places/.hidden.csv",
        "places/../work/case.duckdb",
        "%2e%2e/secret.csv",
        "places/%2e%2e/work/case.duckdb",
        "/etc/passwd",
        "%2Fetc%2Fpasswd",
        "lines/..%2F..%2Fsecret.csv",
        "nothing.csv",
        "places",
    ):
        response = client.get(f"/download/{path}")
        assert response.status_code == 404, path
        assert b"outside the results" not in response.content


def test_the_person_page_is_for_safeguarding_and_audited(
    client: TestClient, workspace: Workspace
) -> None:
    token = person_token(workspace)
    _login(client, "safeguarding")
    before = len(list(audit.entries(workspace)))
    person = client.get(f"/api/people/{token}").json()
    page = client.get(f"/people/{token}").text
    assert person["person"] == token and person["priority"] == "high"
    assert [r["line_id"] for r in person["runner_numbers"]] == ["L001"]
    assert person["runner_numbers"][0]["number"].startswith("PH-")
    for raw in ("P0007", NUMBER):
        assert raw not in page and raw not in json.dumps(person), raw
    assert person["runner_numbers"][0]["number"] in page
    entries = list(audit.entries(workspace))[before:]
    assert [(e.action, token in e.records) for e in entries] == [("consult", True)] * 2
    assert client.get("/api/people/PE-nobody").status_code == 404
    assert f'href="/people/{token}"' in client.get("/people").text
    client.cookies.clear()
    _login(client, "analyst")
    assert client.get(f"/people/{token}").status_code == 403
    assert f'href="/people/{token}"' not in client.get("/people").text


def test_places_and_violence_pages_show_the_analyses(client: TestClient) -> None:
    _login(client, "analyst")
    places = client.get("/api/places").json()
    assert places["classes"]["infiltrated"] == 1 and places["classes"]["heightened risk"] == 1
    assert places["towns"][0]["town"] == "Hereford"  # most serious class first
    assert places["towns"][1]["measures"].startswith(XSS[3])
    violence = client.get("/api/violence").json()
    assert (violence["n_incidents"], violence["n_on_lines"]) == (3, 2)
    assert {c["name"]: c["n"] for c in violence["by_weapon"]} == {"knife": 1, "firearm": 1}
    assert [c["name"] for c in violence["by_month"]] == ["2019-01", "2019-02"]
    assert violence["rivalries"][0]["escalating"] is True
    assert [i["incident_id"] for i in violence["incidents"]] == ["I2", "I1"]  # newest first
    assert NUMBER not in json.dumps(violence) and "PH-" in violence["incidents"][1]["evidence"]
    assert NUMBER not in client.get("/violence").text


def test_movement_page_counts_journeys_and_hides_registrations(client: TestClient) -> None:
    _login(client, "analyst")
    movement = client.get("/api/movement").json()
    assert movement["n_journeys"] == 3
    assert {c["name"]: c["n"] for c in movement["by_mode"]} == {"road": 2, "rail": 1}
    assert [c["name"] for c in movement["by_month"]] == ["2019-01", "2019-02"]
    routes = {r["name"]: r["n"] for r in movement["by_route"]}
    assert routes == {"Birmingham>Hereford": 1, "Hereford>Birmingham": 1, f"{XSS[0]}>Ludlow": 1}
    assert [t["line_id"] for t in movement["lines"]] == ["L001", "L002"]
    (vehicle,) = movement["vehicles"]
    assert vehicle["vrm"].startswith("VR-") and vehicle["line_id"] == "L001"
    page = client.get("/movement").text
    for text in (json.dumps(movement), page):
        assert VRM not in text and NUMBER not in text
    assert XSS[3] not in page and "&lt;script&gt;" in page


def test_revoked_tokens_and_removed_users_stop_at_once(
    client: TestClient, workspace: Workspace
) -> None:
    from countylines.users import remove_user, revoke_token

    token, info = create_token(workspace, "analyst")
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/lines", headers=auth).status_code == 200
    revoke_token(workspace, info.id)
    assert client.get("/api/lines", headers=auth).status_code == 401
    _login(client, "viewer")
    assert client.get("/places").status_code == 200
    remove_user(workspace, "viewer")
    assert client.get("/places", follow_redirects=False).status_code == 303


def _put(client: TestClient, path: str, body: bytes, token: str | None = None) -> object:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.put(path, content=body, headers=headers)


def test_upload_keeps_a_valid_file_and_logs_it(
    client: TestClient, workspace: Workspace, results: Path
) -> None:
    from conftest import EXAMPLE

    token, _ = create_token(workspace, "analyst")
    body = (EXAMPLE / "cells.csv").read_bytes()
    response = _put(client, "/api/uploads/wm/cells.csv", body, token)
    assert response.status_code == 200, response.text
    assert response.json()["rows"]["cells"] == body.count(b"\n") - 1
    assert (results.parent / "uploads" / "wm" / "cells.csv").read_bytes() == body
    listed = client.get("/api/uploads", headers={"Authorization": f"Bearer {token}"})
    assert listed.json() == {"wm": ["cells.csv"]}
    entry = list(audit.entries(workspace))[-1]
    assert (entry.user, entry.action) == ("analyst", "collect")
    assert "file:cells.csv" in entry.records


def test_upload_refuses_bad_names_invalid_files_roles_and_sessions(
    client: TestClient, workspace: Workspace, results: Path
) -> None:
    analyst, _ = create_token(workspace, "analyst")
    viewer, _ = create_token(workspace, "viewer")
    bad = b"cell_id,lat,lon\nC1,95.0,-2.0\n"
    response = _put(client, "/api/uploads/wm/cells.csv", bad, analyst)
    assert response.status_code == 422
    problem = response.json()["problems"][0]
    assert (problem["file"], problem["row"], problem["column"]) == ("cells.csv", 2, "lat")
    for path in (
        "/api/uploads/wm/notes.txt",
        "/api/uploads/w%2E%2E/cells.csv",
        "/api/uploads/%2E%2E/cells.csv",
        "/api/uploads/wm/%2E%2E%2Fcells.csv",
    ):
        assert _put(client, path, bad, analyst).status_code in (400, 404), path
    assert _put(client, "/api/uploads/wm/cells.csv", bad, viewer).status_code == 403
    assert _login(client, "analyst").status_code == 303
    assert _put(client, "/api/uploads/wm/cells.csv", bad).status_code == 403  # a session
    assert not (results.parent / "uploads" / "wm").exists()
    assert not [e for e in audit.entries(workspace) if e.action == "collect"]


def test_uploads_are_off_without_a_folder(results: Path, workspace: Workspace) -> None:
    add_user(workspace, "analyst", "analyst")
    token, _ = create_token(workspace, "analyst")
    off = TestClient(create_app(results, workspace), base_url="https://testserver")
    auth = {"Authorization": f"Bearer {token}"}
    assert off.get("/api/uploads", headers=auth).status_code == 404
    assert off.put("/api/uploads/wm/cells.csv", content=b"x", headers=auth).status_code == 404
