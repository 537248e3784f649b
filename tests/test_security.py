"""Security: credentials never land anywhere, scraped text reaches SQL only as data, and exports escape it.

1. An ingest with fake credentials in the environment (Bluesky, Reddit, Downdetector: distinctive strings). Every
   complaint kind that takes credentials really uses them against our servers: Downdetector's API is the loopback
   server itself; Bluesky's and Reddit's fixed hosts (``bsky.social``, ``www.reddit.com``, ``oauth.reddit.com``...) are
   reached through the hostile server acting as an HTTPS proxy (``https_proxy``; TLS with a throwaway certificate),
   so nothing leaves the machine. Then every file under the warehouse's landing folder (bodies, plans, fetch
   records, crawl logs and stats, landing files), the DuckDB file, every text cell of every table, the command's
   output and every export format are searched for the secrets and the tokens the fake servers handed out.
2. Scraped text full of SQL metacharacters and ``<script>`` is stored verbatim (the loader reads files with
   ``read_json`` and bound parameters; no SQL is built from data), and the HTML and Markdown exports escape it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from flows.cli import main
from flows.paths import landing_root
from scrapers import registry
from tests.hostile import Act, Hit, HostileServer

FIXTURES = Path(__file__).resolve().parent / "fixtures"
COMPLAINTS = FIXTURES / "complaints"
AS_OF = "2021-12-07T17:00:00+00:00"
FAKE_ENV = {
    "BLUESKY_HANDLE": "fake-handle-Qz81.example.test",
    "BLUESKY_APP_PASSWORD": "FAKE-bsky-app-pass-Zx93",
    "REDDIT_CLIENT_ID": "FAKE-reddit-id-Kq27",
    "REDDIT_CLIENT_SECRET": "FAKE-reddit-secret-Wm55",
    "DOWNDETECTOR_TOKEN": "FAKE-dd-token-Pv64",
}
# What the fake login endpoints hand out (in the fixtures): tokens are secrets too.
HANDED_OUT = ["FAKE-ACCESS-JWT-eyJ0eXAiOiJhdCtqd3QifQ", "FAKE-REFRESH-JWT-eyJ0eXAiOiJyZWZyZXNoK2p3dCJ9"]
HANDED_OUT.append(json.loads((COMPLAINTS / "reddit_token.json").read_text(encoding="utf-8"))["access_token"])
SECRETS = [FAKE_ENV["BLUESKY_APP_PASSWORD"], FAKE_ENV["REDDIT_CLIENT_ID"], FAKE_ENV["REDDIT_CLIENT_SECRET"]]
SECRETS += [FAKE_ENV["DOWNDETECTOR_TOKEN"], *HANDED_OUT]
TUNNELED = ("bsky.social", "api.bsky.app", "www.reddit.com", "oauth.reddit.com")

NASTY = "Robert'); DROP TABLE raw_incident_versions; -- \" $path ? {x} \\n <script>alert('pwned')</script> & é"


def summary_with(text: str) -> bytes:
    incident = {
        "id": "nasty",
        "name": text,
        "status": "investigating",
        "impact": "major",
        "created_at": "2021-12-07T16:00:00Z",
        "started_at": "2021-12-07T16:00:00Z",
        "resolved_at": None,
        "shortlink": "https://stspg.io/nasty",
        "incident_updates": [
            {"id": "u1", "status": "investigating", "body": text, "created_at": "2021-12-07T16:05:00Z"}
        ],
    }
    return json.dumps({"page": {"id": "p", "name": "P", "time_zone": "Etc/UTC"}, "incidents": [incident]}).encode()


def catalog(folder: Path, server: HostileServer, kinds: set[str]) -> Path:
    lines = [
        "services:",
        "  - {id: example, name: Example Co, aliases: [example, examplecloud, exampleco], depends_on: []}",
        "sources:",
        f'  - {{id: status, kind: statuspage, url: "{server.url("/status.json")}", service: example}}',
    ]
    if "downdetector" in kinds:
        url = server.url("/v2/slugs/examplecloud/reports?companies=12345")
        lines.append(f'  - {{id: dd, kind: downdetector, url: "{url}", service: example}}')
    if "bluesky" in kinds:
        url = "https://api.bsky.app/xrpc/app.bsky.feed.searchPosts?q=outage"
        lines.append(f'  - {{id: bsky, kind: bluesky, url: "{url}"}}')
    if "reddit" in kinds:
        url = "https://www.reddit.com/r/sysadmin/search.json?q=outage&restrict_sr=1"
        lines.append(f'  - {{id: reddit, kind: reddit, url: "{url}"}}')
    if "mastodon" in kinds:
        url = server.url("/api/v1/timelines/tag/outage")
        lines.append(f'  - {{id: toots, kind: mastodon, url: "{url}"}}')
    path = folder / "sources.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def serve(server: HostileServer) -> None:
    server.routes["/status.json"] = Act(body=summary_with(NASTY))
    server.routes["/v2/slugs/examplecloud/reports"] = Act(body=(COMPLAINTS / "downdetector_reports.json").read_bytes())
    server.routes["/api/v1/timelines/tag/outage"] = Act(body=(COMPLAINTS / "mastodon_tag_page1.json").read_bytes())
    server.routes["https://bsky.social/xrpc/com.atproto.server.createSession"] = Act(
        body=(COMPLAINTS / "bluesky_session.json").read_bytes()
    )
    server.routes["https://api.bsky.app/xrpc/app.bsky.feed.searchPosts"] = [
        Act(body=(COMPLAINTS / "bluesky_search.json").read_bytes()),
        Act(body=(COMPLAINTS / "bluesky_search_last.json").read_bytes()),
    ]
    server.routes["https://www.reddit.com/api/v1/access_token"] = Act(
        body=(COMPLAINTS / "reddit_token.json").read_bytes()
    )
    server.routes["https://oauth.reddit.com/r/sysadmin/search"] = [
        Act(body=(COMPLAINTS / "reddit_search.json").read_bytes()),
        Act(body=(COMPLAINTS / "reddit_search_older.json").read_bytes()),
    ]


def text_cells(db: Path) -> list[str]:
    """Every non-null cell of every table, as text (DuckDB may compress strings on disk: grep alone could miss)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out: list[str] = []
        for (table,) in con.execute("select table_name from duckdb_tables()").fetchall():
            for row in con.execute(f'select * from "{table}"').fetchall():
                out.extend(str(cell) for cell in row if cell is not None)
        return out
    finally:
        con.close()


@dataclass
class SecuredRun:
    kinds: set[str]
    db: Path
    exit_code: int
    outputs: list[str]  # what the ingest and export commands printed
    exports: Path
    hits: list[Hit]


@pytest.fixture(scope="module")
def secured_run(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> SecuredRun:
    """One ingest with fake credentials set (and the nasty text served), then every text export of its timeline."""
    folder = tmp_path_factory.mktemp("security")
    kinds = set(registry.names())
    server = HostileServer(tls_hosts=TUNNELED).start()
    try:
        serve(server)
        with pytest.MonkeyPatch.context() as env:
            for name, value in FAKE_ENV.items():
                env.setenv(name, value)
            env.setenv("https_proxy", server.proxy_url)  # the kinds' fixed https hosts: tunneled to us
            env.setenv("no_proxy", "127.0.0.1,localhost")
            env.delenv("http_proxy", raising=False)
            env.setenv("OUTAGES_RETRY_BACKOFF", "0.1")
            db = folder / "w.duckdb"
            runner = CliRunner()
            sources = catalog(folder, server, kinds)
            args = ["ingest", "--sources", str(sources), "--db", str(db), "--timeout", "5", "--as-of", AS_OF]
            result = runner.invoke(main, args)
            outputs = [result.output]
            exports = folder / "exports"
            exports.mkdir()
            for fmt in ("csv", "json", "md", "html"):
                window = ["--window", "2021-12-06T00:00Z", "2021-12-08T00:00Z"]
                out = exports / f"timeline.{fmt}"
                exported = runner.invoke(main, ["export", "--db", str(db), *window, "--format", fmt, "--out", str(out)])
                assert exported.exit_code == 0, exported.output
                outputs.append(exported.output)
    finally:
        server.stop()
    return SecuredRun(kinds, db, result.exit_code, outputs, exports, list(server.hits))


def test_credentials_never_land_in_files_logs_the_database_or_exports(secured_run: SecuredRun) -> None:
    run = secured_run
    # the credentials were really used: each reached the fake service it is meant for
    used = dict.fromkeys(("downdetector", "bluesky", "reddit"), False)
    for hit in run.hits:
        sent = json.dumps(hit.headers) + hit.body.decode("utf-8", "replace")
        used["downdetector"] |= FAKE_ENV["DOWNDETECTOR_TOKEN"] in sent and "/v2/slugs/" in hit.path
        used["bluesky"] |= FAKE_ENV["BLUESKY_APP_PASSWORD"] in sent and "createSession" in hit.path
        used["reddit"] |= "access_token" in hit.path and "authorization" in {k.lower() for k in hit.headers}
    for name, was_used in used.items():
        if name in run.kinds:
            assert was_used, f"the {name} source never sent its credential: the test would prove nothing"
    assert run.exit_code == 0, run.outputs[0]
    con = duckdb.connect(str(run.db), read_only=True)
    posts = dict(con.execute("select source_id, count(*) from raw_posts group by 1").fetchall())
    con.close()
    sources = {"mastodon": "toots", "bluesky": "bsky", "reddit": "reddit"}
    expected_posts = {source for kind, source in sources.items() if kind in run.kinds}
    assert expected_posts <= set(posts), posts  # the authenticated searches really ran and loaded

    files = [p for p in landing_root(run.db).rglob("*") if p.is_file()]
    files += [p for p in run.db.parent.glob("w.duckdb*") if p.is_file()]
    files += sorted(run.exports.iterdir())
    assert any(p.name == "crawl.log" for p in files)
    assert any(p.name == "fetches.jsonl" for p in files)
    cells = text_cells(run.db)
    for secret in SECRETS:
        raw = secret.encode()
        for path in files:
            assert raw not in path.read_bytes(), f"{secret!r} found in {path}"
        assert not [cell for cell in cells if secret in cell], f"{secret!r} found in the database"
        assert not [out for out in run.outputs if secret in out], f"{secret!r} found in the command's output"


def test_scraped_text_is_stored_verbatim_and_escaped_in_exports(secured_run: SecuredRun) -> None:
    con = duckdb.connect(str(secured_run.db), read_only=True)
    assert con.execute("select title from incidents where source_id = 'status'").fetchall() == [(NASTY,)]
    assert con.execute("select body from incident_updates where incident_id = 'status:nasty'").fetchall() == [(NASTY,)]
    assert con.execute("select count(*) from raw_incident_versions").fetchone() == (1,)  # the table is still there
    con.close()
    rows = json.loads((secured_run.exports / "timeline.json").read_text(encoding="utf-8"))
    assert NASTY in [row["detail"] for row in rows]  # data formats keep it as it is
    html = (secured_run.exports / "timeline.html").read_text(encoding="utf-8")
    assert "<script>alert(" not in html
    assert "&lt;script&gt;alert(" in html
    markdown = (secured_run.exports / "timeline.md").read_text(encoding="utf-8")
    assert "<script>alert(" not in markdown
