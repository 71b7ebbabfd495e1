"""
`make bench`: the production server under load, page by page, against its own /healthz.

1. builds a production environment (DJANGO_DEBUG=0) over PostgreSQL (database panel_bench unless
   BENCH_DATABASE_URL says otherwise) or SQLite with BENCH_DB=sqlite, and Redis;
2. runs prepare.py in it: the data once (generate_data, cached), an editor's session, and each
   page's SQL query count with the test client;
3. starts gunicorn (gunicorn.conf.py) on 127.0.0.1:BENCH_PORT, drives each row with wrk for
   BENCH_DURATION seconds after a one-second warm-up, then 20,000 more requests to see whether
   a worker's memory grows;
4. prints the table and writes it to bench/results.md; stops gunicorn whatever happens;
5. measures the page cache under the week's work, each deployment with its own /healthz:
   300 column pages as served with nobody writing, then while bench/writer.py saves an expert's
   unpublished draft every 0.5 s and corrects one published column every 10 s; on PostgreSQL
   with Redis, and on the embedded deployment (SQLite, no Redis; BENCH_EMBEDDED_COLUMNS
   published columns).

BENCH_PHASES=cache runs step 5 only and replaces its section of bench/results.md. The port,
the databases and Redis come from BENCH_PORT, BENCH_DATABASE_URL and BENCH_REDIS_URL.
A page that answers 404 is reported as "not served", without figures.
"""

import datetime
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from askform import form_fields  # noqa: E402
from processes import stop  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")

PORT = int(os.environ.get("BENCH_PORT", "8016"))
DURATION = int(os.environ.get("BENCH_DURATION", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
THREADS = 2
WORKERS = int(os.environ.get("WEB_CONCURRENCY", "2"))
# gthread workers: a sync worker blocks on an idle keep-alive connection until it is killed.
WEB_THREADS = int(os.environ.get("GUNICORN_THREADS", "4"))
MEMORY_REQUESTS = int(os.environ.get("BENCH_MEMORY_REQUESTS", "20000"))
# A server still busy with a row's requests after wrk stops is given this long to go idle.
DRAIN_SECONDS = 60
BASE = f"http://127.0.0.1:{PORT}"

ROWS = [
    ("healthz", "/healthz"),
    ("static", "a static file"),
    ("home", "home (page cache)"),
    ("home_rendered", "home, rendered"),
    ("column_uncached", "a column, uncached (2,000 columns in turn)"),
    ("column_cached", "a column, cached (one URL)"),
    ("expert", "an expert's profile (page cache)"),
    ("expert_rendered", "an expert's profile, rendered"),
    ("archive_last", "the archive's last page (page cache)"),
    ("archive_last_rendered", "the archive's last page, rendered"),
    ("search", "search"),
    ("ask", "POST /ask/"),
    ("admin_questions", "admin question list (editor)"),
]
CACHE_COLUMNS = 300
CACHE_ROWS = [
    ("healthz", "/healthz"),
    ("column_cached", "a column, cached (one URL), nobody writing"),
    ("columns_served", f"{CACHE_COLUMNS} columns as served, nobody writing"),
    (
        "columns_writing",
        f"{CACHE_COLUMNS} columns as served; a draft saved every 0.5 s, a correction every 10 s",
    ),
]
CACHE_SECTION = "## The page cache while the week's work goes on"
PHASES = os.environ.get("BENCH_PHASES", "all")
EMBEDDED_SCALE = {
    "BENCH_COLUMNS": os.environ.get("BENCH_EMBEDDED_COLUMNS", "500"),
    "BENCH_QUESTIONS": "5000",
    "BENCH_EXPERTS": "100",
}
# BENCH_ROWS=home,search measures those rows (and /healthz) only, prints the table and writes
# nothing: for working on one page. The memory phase runs only in a whole run.
SELECTED = [name for name in os.environ.get("BENCH_ROWS", "").split(",") if name]


def log(message):
    print(message, file=sys.stderr, flush=True)


def environment():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUNICORN_"))}
    DATA.mkdir(parents=True, exist_ok=True)
    if os.environ.get("BENCH_DB", "postgres") == "sqlite":
        database = f"sqlite:///{DATA / 'bench.sqlite3'}"
    else:
        database = os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/panel_bench"
        )
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database,
        REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6"),
        MEDIA_ROOT=str(DATA / "media"),
        STATIC_ROOT=str(DATA / "staticfiles"),
        LOG_LEVEL="WARNING",
        # The accept path of the reader's form, not its rate limit, is what the row measures.
        ASK_MIN_SECONDS="0",
        ASK_RATE_LIMIT_PER_HOUR="100000000",
        ASK_ERROR_RATE_LIMIT_PER_HOUR="100000000",
        GUNICORN_BIND=f"127.0.0.1:{PORT}",
        WEB_CONCURRENCY=str(WORKERS),
        GUNICORN_THREADS=str(WEB_THREADS),
        # wrk keeps its 8 connections open: without a cap the first worker to accept takes
        # them all and the other idles, which a balancing proxy in front would not allow.
        GUNICORN_WORKER_CONNECTIONS=str(WEB_THREADS),
        GUNICORN_ACCESS_LOG="",
        # Recycling would reset the memory being watched.
        GUNICORN_MAX_REQUESTS="0",
    )
    if database.startswith("postgres"):
        name = urllib.parse.urlparse(database).path.lstrip("/")
        subprocess.run(
            ["createdb", "-h", "127.0.0.1", "-U", "postgres", name],
            capture_output=True,
            check=False,
        )
    return env


def wrk_ensure():
    if shutil.which("wrk"):
        return
    log("wrk is missing: installing Debian's package")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "install", "-y", "wrk"], check=True)


def request(path, method="GET", body=None, headers=None):
    """(status, headers, text) from the running server, redirects not followed."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    req = urllib.request.Request(
        BASE + path,
        data=body.encode() if body else None,
        method=method,
        headers={"X-Forwarded-Proto": "https", **(headers or {})},
    )
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=30) as response:
            return response.status, response.headers, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode(errors="replace")


def server_start(env):
    log_file = open(DATA / "gunicorn.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [GUNICORN, "-c", "gunicorn.conf.py", "panel.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited; see {DATA / 'gunicorn.log'}")
        try:
            if request("/healthz")[0] == 200:
                return server
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("gunicorn did not answer /healthz within 60 seconds")


def server_drain(database, limit=DRAIN_SECONDS):
    """
    Wait until the server has finished the last row's requests: wrk stops sending, but requests
    already queued run on, and a slow row would otherwise starve the next one. Idle is five
    /healthz answers in a row within 50 ms and, on PostgreSQL, no statement running for it.
    Returns the seconds waited.
    """
    started = time.monotonic()
    quick = 0
    while quick < 5 and time.monotonic() - started < limit:
        began = time.monotonic()
        try:
            answered = request("/healthz")[0] == 200
        except OSError:
            answered = False
        quick = quick + 1 if answered and time.monotonic() - began < 0.05 else 0
        if quick == 5 and database_busy(database):
            quick = 0
        if quick < 5:
            time.sleep(0.2)
    return time.monotonic() - started


def database_busy(database):
    if not database.startswith("postgres"):
        return False
    name = urllib.parse.urlparse(database).path.lstrip("/")
    result = subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            name,
            "-Atc",
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
            "AND datname = current_database() AND pid <> pg_backend_pid()",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() not in ("0", "")


def worker_pids(server):
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    return sorted(int(pid) for pid in children)


def rss_mb(pid):
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024


LUA = """
local paths = {%(paths)s}
local method = "%(method)s"
local body = %(body)s
local headers = {%(headers)s}
local counter = 0

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  counter = math.random(#paths)
end

function request()
  counter = counter + 1
  local sent = body and body:gsub("BENCHN", tostring(counter) .. "x" .. tostring(math.random(1e9)))
  return wrk.format(method, paths[(counter %% #paths) + 1], headers, sent)
end

function done(summary, latency, requests)
  local socket = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  io.write(string.format(
    "BENCH requests=%%d duration=%%d status_errors=%%d socket_errors=%%d"
      .. " p50=%%d p95=%%d p99=%%d\\n",
    summary.requests, summary.duration, summary.errors.status, socket,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def lua_string(text):
    return "nil" if text is None else json.dumps(text)


def wrk(paths, *, duration, method="GET", body=None, headers=None):
    """One wrk run; returns requests/s, latency percentiles in ms and the error counts."""
    headers = {"X-Forwarded-Proto": "https", **(headers or {})}
    script = LUA % {
        "paths": ", ".join(lua_string(path) for path in paths),
        "method": method,
        "body": lua_string(body),
        "headers": ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items()),
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", dir=DATA, delete=False) as file:
        file.write(script)
    try:
        result = subprocess.run(
            [
                "wrk",
                f"-t{THREADS}",
                f"-c{CONNECTIONS}",
                f"-d{duration}s",
                "--timeout",
                "10s",
                "-s",
                file.name,
                BASE,
            ],
            capture_output=True,
            text=True,
            timeout=duration + 60,
            check=True,
        )
    finally:
        os.unlink(file.name)
    line = re.search(r"^BENCH (.*)$", result.stdout, re.MULTILINE).group(1)
    figures = {key: int(value) for key, value in (pair.split("=") for pair in line.split())}
    return {
        "requests": figures["requests"],
        "rps": figures["requests"] / (figures["duration"] / 1e6),
        "p50": figures["p50"] / 1000,
        "p95": figures["p95"] / 1000,
        "p99": figures["p99"] / 1000,
        "errors": figures["status_errors"] + figures["socket_errors"],
    }


def wrk_until(paths, count, *, deadline):
    """wrk in five-second rounds until ``count`` requests are answered or ``deadline`` passes."""
    done, seconds, p99 = 0, 0.0, 0.0
    stop = time.monotonic() + deadline
    while done < count and time.monotonic() < stop:
        run = wrk(paths, duration=5)
        done += run["requests"]
        seconds += run["requests"] / run["rps"] if run["rps"] else 5
        p99 = max(p99, run["p99"])
    return {"requests": done, "rps": done / seconds if seconds else 0, "p99": p99}


def ask_request():
    """A POST the form accepts: its CSRF cookie and hidden fields, fetched from the server."""
    status, headers, html = request("/ask/")
    if status != 200:
        return status, None
    cookies = "; ".join(
        value.split(";", 1)[0] for key, value in headers.items() if key.lower() == "set-cookie"
    )
    body = urllib.parse.urlencode(form_fields(html))
    return status, {
        "method": "POST",
        "body": body,
        "headers": {
            "Cookie": cookies,
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": f"https://127.0.0.1:{PORT}",
            "Referer": f"https://127.0.0.1:{PORT}/ask/",
        },
    }


def row_measure(name, prepared):
    paths = [prepared["paths"][name]]
    options = {}
    if name == "column_uncached":
        paths = prepared["columns"]
    if name == "admin_questions":
        options["headers"] = {"Cookie": f"sessionid={prepared['session']}"}
    if name == "ask":
        status, options = ask_request()
        if options is None:
            return {"status": status}
        status = request(paths[0], **options)[0]
    else:
        status = request(paths[0], headers=options.get("headers"))[0]
    if status == 404:
        return {"status": status}
    wrk(paths, duration=1, **options)
    return {"status": status, **wrk(paths, duration=DURATION, **options)}


def prepare(env):
    output = subprocess.run(
        [PYTHON, "bench/prepare.py"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    # The logs share stdout (404s are logged as warnings); the answer is the last line.
    return json.loads(output.strip().splitlines()[-1])


def cache_row(name, paths, env):
    """
    One pass to fill the cache and two seconds of wrk, so that each worker holds the pages in
    its own copy (without Redis that copy is the only store); then the row, with the writer
    for "writing".
    """
    for path in paths:
        request(path)
    wrk(paths, duration=2)
    writer = None
    if name == "columns_writing":
        slug = paths[0].strip("/").split("/")[-1]
        writer = subprocess.Popen(
            [PYTHON, "bench/writer.py", slug, str(DURATION + 2)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        # Its start-up (Django's setup) is not part of the row.
        if writer.stdout.readline().strip() != "ready":
            raise SystemExit("bench/writer.py failed to start")
    try:
        wrk(paths, duration=1)
        figures = {"status": 200, **wrk(paths, duration=DURATION)}
        if writer is not None:
            output, _ = writer.communicate(timeout=120)
            if writer.returncode != 0:
                raise SystemExit("bench/writer.py failed")
            figures["writes"] = json.loads(output.strip().splitlines()[-1])
    finally:
        if writer is not None:
            stop(writer)
    return figures


def cache_phase(env, prepared, deployment):
    """The cache rows on one deployment, with its own /healthz; returns a table."""
    log(f"page cache rows: {deployment}")
    server = server_start(env)
    results = {}
    try:
        for name, _ in CACHE_ROWS:
            if name in ("healthz", "column_cached"):
                results[name] = row_measure(name, prepared)
            else:
                results[name] = cache_row(name, prepared["columns"][:CACHE_COLUMNS], env)
            server_drain(env["DATABASE_URL"], limit=10)
    finally:
        stop(server)
    healthz = results["healthz"]["rps"]
    lines = [
        f"{deployment}:",
        "",
        "| page | req/s | p50 ms | p99 ms | × /healthz | errors | writes during the row |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, label in CACHE_ROWS:
        figures = results[name]
        writes = figures.get("writes")
        done = (
            f"{writes['drafts']} drafts, {writes['corrections']} corrections" if writes else "none"
        )
        lines.append(
            f"| {label} | {figures['rps']:.0f} | {figures['p50']:.1f} | {figures['p99']:.1f} "
            f"| {figures['rps'] / healthz:.2f} | {figures['errors']} | {done} |"
        )
    return "\n".join(lines)


def cache_phases(env):
    """Step 5 on each deployment; returns the results section."""
    prepared = prepare({**env, "BENCH_ROWS": "column_cached"})
    tables = [cache_phase(env, prepared, "PostgreSQL and Redis")]
    embedded = {k: v for k, v in env.items() if k != "REDIS_URL"}
    embedded.update(DATABASE_URL=f"sqlite:///{DATA / 'embedded.sqlite3'}", **EMBEDDED_SCALE)
    prepared = prepare({**embedded, "BENCH_ROWS": "column_cached"})
    tables.append(
        cache_phase(
            embedded,
            prepared,
            f"Embedded: SQLite, no Redis ({prepared['published_columns']} published columns)",
        )
    )
    return (
        f"{CACHE_SECTION}\n\n"
        f"gunicorn {WORKERS} workers × {WEB_THREADS} threads; wrk over {CACHE_COLUMNS} column "
        f"URLs, {DURATION}s per row after a 1s warm-up; each table's ratios are to the /healthz "
        "measured in the same run. The writer (bench/writer.py) works through the services in "
        "a process of its own.\n\n" + "\n\n".join(tables) + "\n"
    )


def cache_section_write(section):
    """Replace the page cache's section of bench/results.md (or add it)."""
    path = ROOT / "bench" / "results.md"
    text = path.read_text() if path.exists() else "# Benchmark\n"
    if CACHE_SECTION in text:
        start = text.index(CACHE_SECTION)
        following = text.find("\n## ", start + len(CACHE_SECTION))
        text = text[:start] + section + (text[following + 1 :] if following != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


def table(results, prepared, healthz_rps, rows=ROWS):
    lines = [
        "| page | status | req/s | p50 ms | p95 ms | p99 ms | SQL queries | × /healthz | errors |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, label in rows:
        figures = results[name]
        queries = prepared["rows"].get(name, {}).get("queries")
        if "rps" not in figures:
            served = "not served" if figures["status"] == 404 else "not measured"
            lines.append(f"| {label} | {figures['status']} | {served} | | | | | | |")
            continue
        if not figures["requests"]:
            lines.append(
                f"| {label} | {figures['status']} | no response within {DURATION}s "
                f"| | | | {queries} | | {figures['errors']} |"
            )
            continue
        lines.append(
            f"| {label} | {figures['status']} | {figures['rps']:.0f} | {figures['p50']:.1f} "
            f"| {figures['p95']:.1f} | {figures['p99']:.1f} "
            f"| {'–' if queries is None else queries} "
            f"| {figures['rps'] / healthz_rps:.2f} | {figures['errors']} |"
        )
    return "\n".join(lines)


def main():
    started = time.monotonic()
    unknown = set(SELECTED) - {name for name, _ in ROWS}
    if unknown:
        raise SystemExit(f"BENCH_ROWS: no row named {', '.join(sorted(unknown))}")
    rows = [(name, label) for name, label in ROWS if not SELECTED or name in {"healthz", *SELECTED}]
    wrk_ensure()
    env = environment()
    database = "SQLite" if env["DATABASE_URL"].startswith("sqlite") else "PostgreSQL"
    log(f"database: {database}; collecting static files")
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    if PHASES == "cache":
        section = cache_phases(env)
        print(section)
        cache_section_write(section)
        log(f"bench: {time.monotonic() - started:.0f}s; written to bench/results.md")
        return
    prepared = prepare(env)
    server = server_start(env)
    try:
        boot_rss = {pid: rss_mb(pid) for pid in worker_pids(server)}
        results = {}
        for name, label in rows:
            log(f"row: {label}")
            try:
                results[name] = row_measure(name, prepared)
            except OSError as error:  # the first request timed out: the row says so, and on
                log(f"row {label}: {error}")
                results[name] = {"status": f"no answer ({error})"}
            waited = server_drain(env["DATABASE_URL"])
            if waited > 1:
                log(f"row {label}: the server took {waited:.0f}s to finish its requests")
        if SELECTED:
            print(table(results, prepared, results["healthz"]["rps"], rows))
            return
        # Rendered pages, not the page cache: what would leak is in the rendering.
        mix = [
            prepared["paths"]["home_rendered"],
            prepared["paths"]["expert_rendered"],
            *(f"{path}?rendered=1" for path in prepared["columns"][:200]),
        ]
        pids = worker_pids(server)
        before = {pid: rss_mb(pid) for pid in pids}
        log(f"memory: {MEMORY_REQUESTS} requests rendering home, an expert and 200 columns")
        memory_run = wrk_until(mix, MEMORY_REQUESTS, deadline=300)
        after = {pid: rss_mb(pid) for pid in worker_pids(server)}
    finally:
        stop(server)

    healthz_rps = results["healthz"]["rps"]
    body = table(results, prepared, healthz_rps)
    memory = "\n".join(
        f"- worker {pid}: {boot_rss.get(pid, 0):.1f} MB at boot, {before[pid]:.1f} MB before, "
        + (
            f"{after[pid]:.1f} MB after ({(after[pid] / before[pid] - 1) * 100:+.1f}%)"
            if pid in after
            else "replaced during the run (killed by the timeout; see bench/data/gunicorn.log)"
        )
        for pid in pids
    )
    note = os.environ.get("BENCH_NOTE", "")
    note = f"{note}\n\n" if note else ""
    date = f"{datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}"
    report = f"""# Benchmark

{note}- date: {date}
- machine: {os.cpu_count()} cores; gunicorn {WORKERS} workers \
× {WEB_THREADS} threads; wrk {THREADS} threads, \
{CONNECTIONS} connections, {DURATION}s per row after a 1s warm-up
- database: {database}, {prepared["published_columns"]} published columns, \
{prepared["questions"]} questions; cache: Redis
- SQL queries: counted per request with Django's test client, outside the server
- errors: responses of 400 and above, and socket errors, during the row

{body}

Memory of each web worker over {memory_run["requests"]} rendered requests \
({memory_run["rps"]:.0f} req/s, worst p99 {memory_run["p99"]:.1f} ms):

{memory}
"""
    print(report)
    (ROOT / "bench" / "results.md").write_text(report)
    section = cache_phases(env)
    print(section)
    cache_section_write(section)
    log(f"bench: {time.monotonic() - started:.0f}s; written to bench/results.md")


if __name__ == "__main__":
    main()
