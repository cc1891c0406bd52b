"""Serve: p50/p95 latency of Datasette pages over loopback with N snapshots indexed.

The store has two parts:

* a real base: the first 200 corpus pages imported with extraction (text, quotes,
  figures) and 20 citations made through the library, so that citation and snapshot
  pages read real WARC bytes;
* synthetic rows generated straight into SQLite up to N snapshots (quick 20,000, full
  200,000), because importing and extracting that many pages would take hours. Each
  synthetic snapshot has a capture, a page, a version and an extracted text of about
  8 KB (sentences from the corpus generator; the real texts average about 50 KB), and
  points at the bytes of a real record. They have no quotes or figures rows.

The store is cached under ``bench/out/`` and rebuilt when ``archive/schema.py`` changes.
``archive serve`` runs as its own process; requests are sequential over one keep-alive
connection. Pages: full-text search of the texts table (a term in nearly every text, and a
selective one in about 40), the ranked ``search`` canned query, a citation page ``/-/cite/<id>`` and a snapshot page ``/-/snapshot/<sha256>``;
plugin pages that do not exist yet are skipped with a note. Target: p95 < 100 ms.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import random
import signal
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_util import OUT, PY, ROOT, Row, fresh_dir, run_timed, tool  # noqa: E402
import corpus  # noqa: E402

BASE_PAGES = 200
CITATIONS = 20
TARGET_MS = 100.0


def _schema_tag() -> str:
    """What a cached store depends on: the code that generates it (not the timing code
    below it), and the corpus. A schema change that only adds indexes or columns does not
    rebuild it: :func:`_up_to_date` brings a cached store to the declared schema, as
    opening any store for writing does."""
    import inspect

    src = "".join(inspect.getsource(f) for f in (cited_store, synthetic_store, _diff_pages, _zipf))
    return hashlib.sha256(src.encode() + (ROOT / "bench" / "corpus.py").read_bytes()
                          + repr((BASE_PAGES, CITATIONS, ZIPF_WORDS, DIFF_PAGES)).encode()).hexdigest()[:10]


def _up_to_date(d: Path, log=print) -> None:
    """Apply the schema's pending migrations (new indexes) to a cached store, in a child
    process of the code under test, and refresh the planner's statistics if it did."""
    code = f"""
import sqlite3, sys
sys.path.insert(0, {str(ROOT)!r})
from archive.index.schema import connect, pending_migrations
from archive.index.db import ensure_schema
conn = connect({str(d / 'archive.db')!r})
pending = pending_migrations(conn)
ensure_schema(conn, {str(d / 'archive.db')!r})
if pending:
    conn.execute("ANALYZE")
print(",".join(pending))
"""
    t = time.perf_counter()
    r = run_timed([PY, "-c", code], capture=True)
    if r.stdout.strip():
        log(f"  store brought to the declared schema ({r.stdout.decode().strip()}) in {time.perf_counter() - t:.0f} s")


# Real text statistics: besides the corpus sentences, every synthetic text draws words from
# a Zipfian vocabulary (frequency ∝ 1/rank, s = 1) of ZIPF_WORDS words, so most words are
# rare and a few are in nearly every text, as in news prose.
ZIPF_WORDS = 200_000
DIFF_PAGES = 40          # synthetic pages with two versions and stored changes (diff page)


def _zipf(rng: random.Random):
    cum: list[float] = []
    total = 0.0
    for rank in range(1, ZIPF_WORDS + 1):
        total += 1.0 / rank
        cum.append(total)
    words = [f"z{rank}" for rank in range(1, ZIPF_WORDS + 1)]
    return lambda k: rng.choices(words, cum_weights=cum, k=k)


def base_store(log=print) -> Path:
    """200 real pages, imported with extraction, and 20 citations (cached)."""
    return cited_store("base", BASE_PAGES, spread=False, log=log)


def cited_store(kind: str, pages: int, spread: bool, log=print) -> Path:
    """The ``pages``-page corpus imported with extraction and ``CITATIONS`` citations of a
    passage from the middle of a text, of the first pages or (``spread``) of pages spread
    over the whole corpus; cached in ``bench/out/store-KIND-PAGES-<schema>``."""
    d = OUT / f"store-{kind}-{pages}-{_schema_tag()}"
    if (d / "done").exists():
        return d
    fresh_dir(d)
    warc = corpus.corpus_path(pages)
    log(f"  building the {kind} store: importing {pages:,} pages with extraction (once)…")
    t = time.perf_counter()
    run_timed([tool("archive"), "import", "--db", str(d / "archive.db"), "--warcs", str(d / "warcs"), str(warc)])
    code = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from archive.store import Store
from archive.provenance.cite import cite
with Store({str(d / 'archive.db')!r}, {str(d / 'warcs')!r}) as s:
    rows = s.conn.execute("SELECT v.page_url, t.text FROM versions v JOIN texts t ON t.sha256=v.text_sha256 "
                          "ORDER BY v.page_url").fetchall()
    step = max(1, len(rows) // {CITATIONS}) if {spread!r} else 1
    for page, text in rows[::step][:{CITATIONS}]:
        mid = len(text) // 2
        a = text.index(" ", mid) + 1
        b = text.index(" ", a + 60)
        cite(s, page, text[a:b])
"""
    run_timed([PY, "-c", code])
    (d / "done").write_text("ok")
    log(f"  {kind} store built in {time.perf_counter() - t:.0f} s")
    return d


def synthetic_store(n: int, log=print) -> Path:
    """The base store plus synthetic rows up to ``n`` snapshots (cached). Texts are about
    8 KB up to 200,000 snapshots and about 1.5 KB beyond (a 1M store stays a few GB)."""
    base = base_store(log)
    d = OUT / f"store-serve-{n}-{_schema_tag()}"
    if (d / "done").exists():
        _up_to_date(d, log)
        return d
    fresh_dir(d)
    shutil.copytree(base / "warcs", d / "warcs")
    src = sqlite3.connect(base / "archive.db")
    conn = sqlite3.connect(d / "archive.db")
    src.backup(conn)
    src.close()
    have = conn.execute("SELECT count(*) FROM snapshots").fetchone()[0]
    t = time.perf_counter()
    log(f"  generating {n - have:,} synthetic snapshots into SQLite (once)…")
    pointers = conn.execute("SELECT warc_file, offset, length FROM captures WHERE record_type='response'").fetchall()
    ext_ver = conn.execute("SELECT extractor_version FROM texts LIMIT 1").fetchone()[0]
    rng = random.Random("synthetic")
    zipf = _zipf(rng)
    pool = [corpus._sentence(rng) for _ in range(5000)]
    paras_range = (6, 12) if n <= 200_000 else (1, 2)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA cache_size=-200000")
    # Every capture is vouched for by a ledger entry, as in a store that captured it: the
    # entries extend the base store's chain (a citation page proves its entries against
    # the Merkle tree of the whole chain).
    from archive.provenance.ledger import make_entry

    chain, seq, prev = conn.execute("SELECT chain, seq, entry_hash FROM ledger WHERE chain = "
                                    "(SELECT value FROM _meta WHERE key='ledger_chain') "
                                    "ORDER BY seq DESC LIMIT 1").fetchone()
    conn.execute("BEGIN")
    for k in range(have, n):
        host = corpus.HOSTS[k % len(corpus.HOSTS)]
        url = f"http://{host}/synthetic/{k}"
        title = " ".join(rng.choices(corpus.WORDS[40:], k=8)).title()
        paras = [" ".join(rng.choices(pool, k=rng.randint(3, 6))) + " " + " ".join(zipf(12))
                 for _ in range(rng.randint(*paras_range))]
        paras.insert(rng.randint(0, len(paras)), f"Filed under kw{k % 500}.")
        text = title + "\n\n" + "\n\n".join(paras)
        tsha = hashlib.sha256(text.encode()).hexdigest()
        psha = hashlib.sha256(f"payload-{k}".encode()).hexdigest()
        rid = f"<urn:uuid:{rng.getrandbits(128):032x}>"
        when = f"2026-{1 + k * 12 // n:02d}-{1 + k % 28:02d}T{k % 24:02d}:{k % 60:02d}:00.000000Z"
        wf, off, ln = pointers[k % len(pointers)]
        conn.execute("INSERT INTO captures (record_id, record_type, url, page_url, captured_at, status, content_type, "
                     "warc_file, offset, length, payload_sha256, block_sha256, fixity) "
                     "VALUES (?, 'response', ?, ?, ?, 200, 'text/html; charset=utf-8', ?, ?, ?, ?, ?, 'ok')",
                     (rid, url, url, when, wf, off, ln, psha, psha))
        conn.execute("INSERT INTO snapshots (sha256, size, content_type, record_id, first_captured_at, text_sha256, "
                     "extract_status, extractor_version) VALUES (?, ?, 'text/html; charset=utf-8', ?, ?, ?, 'ok', ?)",
                     (psha, len(text) * 6, rid, when, tsha, ext_ver))
        conn.execute("INSERT OR IGNORE INTO texts (sha256, title, text, language, charset, extractor_version) "
                     "VALUES (?, ?, ?, 'en', 'utf-8', ?)", (tsha, title, text, ext_ver))
        conn.execute("INSERT INTO pages (url, host, title, first_captured_at, last_captured_at, captures, versions) "
                     "VALUES (?, ?, ?, ?, ?, 1, 1)", (url, host, title, when, when))
        conn.execute("INSERT INTO versions (page_url, version, text_sha256, snapshot_sha256, record_id, title, "
                     "first_captured_at, last_captured_at, captures) VALUES (?, 1, ?, ?, ?, ?, ?, ?, 1)",
                     (url, tsha, psha, rid, title, when, when))
        seq += 1
        digests = {"warc_file": wf, "offset": off, "length": ln, "block_sha256": psha, "payload_sha256": psha}
        e = make_entry(seq, prev, "capture", rid, digests, when)
        prev = e["entry_hash"]
        conn.execute("INSERT INTO ledger (seq, entry_hash, prev_hash, kind, subject, digests, at, warc_file, offset, "
                     "length, record_id, chain) VALUES (?, ?, ?, 'capture', ?, ?, ?, 'synthetic-ledger', ?, 0, ?, ?)",
                     (seq, prev, e["prev_hash"], rid, json.dumps(digests, sort_keys=True), when, seq, rid, chain))
        if k % 20000 == 0 and k > have:
            conn.execute("COMMIT")
            conn.execute("BEGIN")
            log(f"    {k:,} / {n:,} ({time.perf_counter() - t:.0f} s)")
    conn.execute("COMMIT")
    _diff_pages(conn, rng, pool, zipf, ext_ver)
    # Rows written straight into SQLite: their facets counted once, as a migration does.
    from archive.index.schema import refresh_facet_counts

    conn.isolation_level = None
    conn.execute("BEGIN")
    refresh_facet_counts(conn)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    (d / "done").write_text("ok")
    log(f"  synthetic rows written in {time.perf_counter() - t:.0f} s")
    return d


def _diff_pages(conn: sqlite3.Connection, rng: random.Random, pool: list[str], zipf, ext_ver: str) -> None:
    """DIFF_PAGES pages with two versions of 25–65 KB of text (one sentence in seven
    rewritten, figures edited), their changes and edit scripts computed by the store's
    own code, as extraction does."""
    from archive.index.versions import rebuild_changes

    conn.row_factory = sqlite3.Row
    conn.execute("BEGIN")
    for k in range(DIFF_PAGES):
        url = f"http://diff.example/story/{k}"
        sents = [rng.choice(pool) for _ in range(rng.randint(200, 520))]
        v2 = [(" ".join(zipf(10)).capitalize() + f" about {rng.randint(2, 9)},{rng.randint(100, 999)} homes.")
              if i % 7 == 3 else s for i, s in enumerate(sents)]
        shas = []
        for n, ss in enumerate((sents, v2), 1):
            text = "\n".join(" ".join(ss[i:i + 5]) for i in range(0, len(ss), 5))
            tsha = hashlib.sha256(text.encode()).hexdigest()
            psha = hashlib.sha256(f"diff-{k}-{n}".encode()).hexdigest()
            when = f"2026-03-{1 + k % 28:02d}T0{n}:00:00.000000Z"
            conn.execute("INSERT OR IGNORE INTO texts (sha256, title, text, language, charset, extractor_version) "
                         "VALUES (?, ?, ?, 'en', 'utf-8', ?)", (tsha, f"Story {k}", text, ext_ver))
            conn.execute("INSERT INTO versions (page_url, version, text_sha256, snapshot_sha256, record_id, title, "
                         "first_captured_at, last_captured_at, captures) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)",
                         (url, n, tsha, psha, f"<urn:diff:{k}:{n}>", f"Story {k}", when, when))
            shas.append(tsha)
        conn.execute("INSERT INTO pages (url, host, title, first_captured_at, last_captured_at, captures, versions) "
                     "VALUES (?, 'diff.example', ?, ?, ?, 2, 2)", (url, f"Story {k}", when, when))
        rebuild_changes(conn, url, shas)
    conn.execute("COMMIT")


def _diff_before(d: Path, log) -> Row:
    """What the diff page cost per request before changes were stored: difflib's
    SequenceMatcher over the whitespace-inclusive tokens of both whole texts (CPU seconds,
    in this process, on three of the diff pages)."""
    import re
    from difflib import SequenceMatcher

    token = re.compile(r"\s+|\w+(?:[.,'’]\w+)*|[^\w\s]")
    conn = sqlite3.connect(d / "archive.db")
    cpu = []
    for k in range(3):
        a, b = [r[0] for r in conn.execute(
            "SELECT t.text FROM versions v JOIN texts t ON t.sha256 = v.text_sha256 WHERE v.page_url=? "
            "ORDER BY version", (f"http://diff.example/story/{k}",))]
        t = time.process_time()
        SequenceMatcher(None, token.findall(a), token.findall(b), autojunk=False).get_opcodes()
        cpu.append((time.process_time() - t) * 1000)
    conn.close()
    log(f"  serve: diff computed per request as before (difflib): {', '.join(f'{c:.0f}' for c in cpu)} ms CPU")
    return Row("serve", "diff per request as before (difflib over whole texts)",
               f"median {statistics.median(cpu):.0f} ms CPU", "", "", "(reference)", None,
               "the diff page now reads the edit script stored at extraction (row above)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(conn: http.client.HTTPConnection, path: str) -> tuple[int, float, int]:
    t = time.perf_counter()
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read()
    return resp.status, (time.perf_counter() - t) * 1000, len(body)


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` and its children (``archive serve``'s
    workers), every thread, from /proc."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


CLIENTS = 50
PER_CLIENT = 10
CONCURRENT_TARGET_MS = 250.0


ROUNDS = 3              # rounds per server, alternating between them


def _round(port: int, cites: list[str]) -> tuple[list[float], list[str], float]:
    """One round: CLIENTS clients, each on its own connection, read PER_CLIENT citation
    pages at once. Returns the latencies (ms), the errors and the wall seconds."""
    import threading

    lat: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS + 1)

    def client(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        start.wait()
        for i in range(PER_CLIENT):
            try:
                st, ms, _ = _get(conn, f"/-/cite/{cites[(k + i) % len(cites)]}")
            except OSError as exc:
                with lock:
                    errors.append(str(exc))
                return
            with lock:
                (lat if st == 200 else errors).append(ms if st == 200 else f"HTTP {st}")

    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return lat, errors, time.perf_counter() - t0


def _concurrent_citations(servers: list[tuple[int, int, int]], cites: list[str], log,
                          rounds: int = ROUNDS) -> list[Row]:
    """For each ``(workers, port, pid)`` server (``archive serve --workers WORKERS``), a
    row of ``rounds`` rounds of 50 concurrent clients on citation pages; the rounds
    alternate between the servers so that the machine's other load falls on each alike."""
    for _, port, _ in servers:
        # Warm every worker: each citation over a few new connections (the kernel spreads them).
        for cid in cites:
            for _ in range(4):
                warm = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                _get(warm, f"/-/cite/{cid}")
                warm.close()
    got: dict[int, dict] = {w: {"lat": [], "errors": [], "wall": 0.0, "cpu": 0.0, "loads": []} for w, _, _ in servers}
    for r in range(rounds):
        for workers, port, pid in servers:
            g = got[workers]
            cpu0, load0 = _cpu_s(pid), _loadavg()
            lat, errors, wall = _round(port, cites)
            g["cpu"] += _cpu_s(pid) - cpu0
            g["lat"] += lat
            g["errors"] += errors
            g["wall"] += wall
            g["loads"].append(load0.split()[0])
            log(f"  serve --workers {workers}, round {r + 1}: {CLIENTS} concurrent clients on citation pages: "
                f"p50 {statistics.median(lat):.1f} ms, p95 {_pct(lat, 95):.1f} ms, {len(lat) / wall:.0f} pages/s, "
                f"{len(errors)} errors; load {load0} → {_loadavg()}")
    rows = []
    cores = os.cpu_count() or 1
    for workers, _, _ in servers:
        g = got[workers]
        lat, errors = g["lat"], g["errors"]
        cpu = g["cpu"] * 1000 / max(1, len(lat) + len(errors))
        p50, p95 = statistics.median(lat), _pct(lat, 95)
        rate = len(lat) / g["wall"]
        rows.append(Row(
            "serve", f"{CLIENTS} concurrent clients, citation pages, --workers {workers}",
            f"p50 {p50:.1f} / p95 {p95:.1f} ms", "", "", f"p95 < {CONCURRENT_TARGET_MS:.0f} ms",
            False if errors else p95 < CONCURRENT_TARGET_MS,
            f"{rounds} rounds of {CLIENTS} × {PER_CLIENT} requests, alternating with the other server: "
            f"{len(lat)} answered, {rate:.0f} pages/s, {len(errors)} errors; server CPU {cpu:.1f} ms per request "
            f"({cores} cores: at most {cores * 1000 / cpu if cpu else 0:.0f} pages/s, so at best "
            f"{CLIENTS * cpu / cores:.0f} ms a page with {CLIENTS} clients always waiting, the clients' own CPU "
            f"aside); 1-minute load at the start of each round {', '.join(g['loads'])}",
            raw={"p50": p50, "p95": p95, "errors": len(errors), "cpu_ms": cpu, "rate": rate, "workers": workers}))
    return rows


def _start(d: Path, workers: int) -> tuple[subprocess.Popen, int, http.client.HTTPConnection]:
    """``archive serve --workers WORKERS`` over the store in ``d``, answering."""
    port = _free_port()
    log = OUT / f"serve-{port}.log"
    with log.open("wb") as err:
        proc = subprocess.Popen([tool("archive"), "serve", "--db", str(d / "archive.db"), "--warcs", str(d / "warcs"),
                                 "--port", str(port), "--workers", str(workers)],
                                stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
    deadline = time.time() + 120
    try:
        while time.time() < deadline:
            # Every worker has finished its startup (uvicorn says so once per worker).
            if log.read_text(errors="replace").count("Application startup complete") >= workers:
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    if _get(conn, "/-/versions.json")[0] == 200:
                        return proc, port, conn
                except OSError:
                    pass
            if proc.poll() is not None:
                break
            time.sleep(0.2)
        _stop(proc)
        raise RuntimeError("archive serve did not start: " + log.read_text(errors="replace")[-500:])
    finally:
        log.unlink(missing_ok=True)


def _stop(proc: subprocess.Popen) -> None:
    # SIGTERM to the supervisor and its workers (and the replay origin), SIGKILL if they linger.
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


def _workers_ratio(one: Row, many: Row) -> Row:
    """The concurrent rows side by side: what the extra workers give."""
    p95 = one.raw["p95"] / many.raw["p95"]
    rate = many.raw["rate"] / one.raw["rate"]
    n = many.raw["workers"]
    return Row("serve", f"{CLIENTS} concurrent clients, citation pages: --workers {n} against --workers 1",
               f"p95 {many.raw['p95']:.0f} ms, {many.raw['rate']:.0f} pages/s",
               f"--workers 1: p95 {one.raw['p95']:.0f} ms, {one.raw['rate']:.0f} pages/s",
               f"{p95:.2f}× (p95), {rate:.2f}× pages/s", "(reference)", None,
               f"same store, same clients, {ROUNDS} rounds each, alternating; the clients share the "
               f"{os.cpu_count()} cores with the server",
               raw={"p95_ratio": p95, "rate_ratio": rate})


def run(quick: bool = True, log=print, n: int | None = None, citations_only: bool = False,
        only_pages: str | None = None) -> list[Row]:
    """``n`` snapshots (default 1,000,000, or env BENCH_SERVE_SNAPSHOTS), built once and
    cached under bench/out/ (the 1M store takes the better part of an hour to build).
    ``citations_only`` (``python bench/bench_serve.py --citations``): only the citation page
    and the 50-client rows, for work on the citation page. ``only_pages``
    (``--pages TEXT``): only the single-client rows whose label holds TEXT."""
    n = n or int(os.environ.get("BENCH_SERVE_SNAPSHOTS", "1000000"))
    reps = 100 if quick else 300
    budget = 15.0 if quick else 60.0  # seconds per page kind, at least 20 requests
    d = synthetic_store(n, log)
    db = sqlite3.connect(d / "archive.db")
    cites = [r[0] for r in db.execute("SELECT id FROM citations ORDER BY id")]
    snaps = [r[0] for r in db.execute("SELECT sha256 FROM snapshots WHERE text_sha256 IN "
                                      "(SELECT text_sha256 FROM citations) ORDER BY sha256")]
    db.close()
    from archive.web.prefork import default_workers

    workers = default_workers()   # what `archive serve` runs by default
    rows: list[Row] = []
    servers: list[tuple[int, int, int]] = []
    proc, port, conn = _start(d, workers)
    try:
        common = ["flood", "budget", "hospital", "election", "bridge"]
        rare = [f"z{r}" for r in range(150_000, 150_020)]   # Zipf rank 150,000: in a handful of texts
        diff_pages = [f"http://diff.example/story/{k}" for k in range(DIFF_PAGES)]
        # (``_n=`` varies the URL, which Datasette ignores: no response is served from a cache.)
        pages = {
            "captures table sorted by time, with its facets": ("/archive/captures?_sort_desc=captured_at&_n={}",
                                                               list(range(50))),
            "captures table sorted by time, without facets": (
                "/archive/captures?_sort_desc=captured_at&_nofacet=1&_n={}", list(range(50))),
            "captures of one status, with its facets": ("/archive/captures?status=200&_n={}", list(range(50))),
            "pages table with its facets": ("/archive/pages?_n={}", list(range(50))),
            "versions table with its facets": ("/archive/versions?_n={}", list(range(50))),
            "snapshots table with its facets": ("/archive/snapshots?_n={}", list(range(50))),
            "search, rare term (Zipf rank 150,000)": ("/archive/texts?_search={}", rare),
            "diff page /-/diff (25–65 KB texts)": ("/-/diff?page={}", diff_pages),
            "search, common term": ("/archive/texts?_search={}", common),
            "search, selective term": ("/archive/texts?_search={}", [f"kw{i}" for i in range(0, 500, 37)]),
            "search query (ranked snippets), common term": ("/archive/search?q={}", common),
            "citation page /-/cite/<id>": ("/-/cite/{}", cites),
            "snapshot page /-/snapshot/<sha256>": ("/-/snapshot/{}", snaps),
        }
        if citations_only:
            pages = {k: v for k, v in pages.items() if k.startswith("citation page")}
        if only_pages:
            pages = {k: v for k, v in pages.items() if only_pages in k}
        for label, (pattern, args) in pages.items():
            status, _, size = _get(conn, pattern.format(args[0]))
            if status != 200:
                log(f"  serve: {label}: HTTP {status} — skipped")
                rows.append(Row("serve", label, "—", target=f"p95 < {TARGET_MS:.0f} ms",
                                note=f"skipped: {pattern.format('…')} answers HTTP {status} (not built yet)"))
                continue
            for a in args[:5]:
                _get(conn, pattern.format(a))
            lat = []
            cpu0, load0 = _cpu_s(proc.pid), _loadavg()
            spent = time.perf_counter()
            for i in range(reps):
                if i >= 20 and time.perf_counter() - spent > budget:
                    break  # a slow page: enough samples for p50/p95 within the time budget
                st, ms, size = _get(conn, pattern.format(args[i % len(args)]))
                if st != 200:
                    raise RuntimeError(f"{pattern.format(args[i % len(args)])}: HTTP {st}")
                lat.append(ms)
            cpu = (_cpu_s(proc.pid) - cpu0) * 1000 / len(lat)
            p50, p95 = statistics.median(lat), _pct(lat, 95)
            log(f"  serve: {label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {max(lat):.1f} ms ({size:,} B); "
                f"server CPU {cpu:.1f} ms/request; load {load0} → {_loadavg()}")
            rows.append(Row("serve", label, f"p50 {p50:.1f} / p95 {p95:.1f} ms", "", "", f"p95 < {TARGET_MS:.0f} ms",
                            p95 < TARGET_MS, f"{n:,} snapshots ({n - BASE_PAGES:,} synthetic), {len(lat)} requests, "
                            f"{size / 1000:.0f} KB; server CPU {cpu:.1f} ms per request",
                            raw={"p50": p50, "p95": p95, "max": max(lat), "n": n, "cpu_ms": cpu}))
    finally:
        _stop(proc)
    if only_pages:
        return rows
    # 50 concurrent clients: at the default workers and at one, rounds alternating.
    started = []
    try:
        for w in sorted({1, workers}):
            proc, port, _ = _start(d, w)
            started.append(proc)
            servers.append((w, port, proc.pid))
        conc = _concurrent_citations(servers, cites, log)
    finally:
        for proc in started:
            _stop(proc)
    rows += conc
    if len(conc) == 2:
        rows.append(_workers_ratio(*conc))
        log(f"  serve: --workers {workers} against 1: {rows[-1].ratio}")
    if not citations_only:
        rows.append(_diff_before(d, log))
    return rows


if __name__ == "__main__":
    only = sys.argv[sys.argv.index("--pages") + 1] if "--pages" in sys.argv[:-1] else None
    for r in run("--full" not in sys.argv, citations_only="--citations" in sys.argv, only_pages=only):
        print(r)
