"""An ``https://`` revisit whose original is the ``http://`` capture with the same payload
digest (pywb's sample archive has nine) resolves by digest, as pywb resolves it, in the
replay and in ``archive show``, and the replay says where the original was found."""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import json

from datasette.app import Datasette

from archive.store import Store
from archive.web.pages import record_key

from .conftest import invoke

BODY = b"body { color: #123456 }\n"


def _label(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def _member(rtype: str, uri: str, rid: int, date: str, block: bytes, extra: list) -> bytes:
    headers = [("WARC-Type", rtype), ("WARC-Record-ID", f"<urn:uuid:00000000-0000-4000-8000-{rid:012d}>"),
               ("WARC-Date", date), ("WARC-Target-URI", uri),
               ("Content-Type", "application/http; msgtype=response"), *extra,
               ("WARC-Block-Digest", _label(block)), ("Content-Length", str(len(block)))]
    head = "WARC/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    return gzip.compress(head.encode() + block + b"\r\n\r\n")


def crawl(path) -> None:
    """An http capture, then an https revisit naming only itself and the digest (as in
    pywb's iana.warc.gz): no WARC-Refers-To, no http URL anywhere in it."""
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/css\r\nContent-Length: %d\r\n\r\n" % len(BODY)
    path.write_bytes(
        _member("response", "http://www.example.org/style.css", 1, "2014-01-26T20:06:25Z", http + BODY,
                [("WARC-Payload-Digest", _label(BODY))])
        + _member("revisit", "https://www.example.org/style.css", 2, "2014-01-26T20:06:53Z", http,
                  [("WARC-Payload-Digest", _label(BODY)),
                   ("WARC-Profile", "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest"),
                   ("WARC-Refers-To-Target-URI", "https://www.example.org/style.css"),
                   ("WARC-Refers-To-Date", "2014-01-26T20:06:25Z")]))


def test_https_revisit_of_an_http_capture_resolves_by_digest(runner, tmp_path):
    src = tmp_path / "iana-like.warc.gz"
    crawl(src)
    assert invoke(runner, tmp_path, "import", str(src)).exit_code == 0
    revisit = "<urn:uuid:00000000-0000-4000-8000-000000000002>"
    shown = invoke(runner, tmp_path, "show", revisit)
    assert shown.exit_code == 0 and shown.output.encode() == BODY
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as store:
        row = store.capture_row(revisit)
        # the import found it by digest and noted the original's SHA-256 in the revisit's row
        assert store._original_by_digest(row)["url"] == "http://www.example.org/style.css"
        orig, how = store.find_original(row)
        assert (orig["url"], how) == ("http://www.example.org/style.css", "payload_sha256")
        assert row["payload_sha256"] == hashlib.sha256(BODY).hexdigest()
        store.reindex()
        assert store.capture_row(revisit)["payload_sha256"] == hashlib.sha256(BODY).hexdigest()

    async def replay():
        ds = Datasette([str(tmp_path / "archive.db")], settings={"base_url": "/"},
                       metadata={"plugins": {"archive": {"warcs": str(tmp_path / "warcs")}}})
        page = await ds.client.get(f"/-/replay/{record_key(revisit)}.json")
        raw = await ds.client.get(f"/-/replay-raw/{record_key(revisit)}")
        html = await ds.client.get(f"/-/replay/{record_key(revisit)}")
        return page, raw, html

    page, raw, html = asyncio.run(replay())
    assert page.status_code == 200, page.text
    data = json.loads(page.text)
    assert data["original_found_by"] == "payload_sha256"
    assert data["original_url"] == "http://www.example.org/style.css"
    assert raw.status_code == 200 and raw.content == BODY
    assert "found by payload SHA-256 at http://www.example.org/style.css" in html.text
