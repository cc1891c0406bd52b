"""Fuzzing the reader and round-tripping the writer (RELIABILITY.md cases 22-23).

Mutated WARC bytes (flips, cuts, insertions) must give only ``ArchiveError`` or
``Problem`` items, finish quickly and stay within a memory cap. Arbitrary payloads and
header values written through :class:`WarcStore` must read back identical, with digests
that verify and a pointer that re-reads the same record.
"""

from __future__ import annotations

import hashlib
import io
import tracemalloc
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from warcio.statusandheaders import StatusAndHeaders

from archive.errors import ArchiveError
from archive.index.rows import fixity_of
from archive.warc.reader import Found, Problem, iter_records
from archive.warc.writer import WarcStore
from archive.warc.record import decompress_member, load_record, parse_record

from .helpers_faults import gz, valid_warc_gz, warc_record

SEED_GZ, SEED_OFFSETS = valid_warc_gz(3, payload_size=120)
SEED_PLAIN = b"".join(warc_record(url=f"http://example.com/{i}") for i in range(3))
MEMORY_CAP = 64 * 1024 * 1024

FUZZ = settings(max_examples=150, deadline=timedelta(seconds=2), derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@st.composite
def mutated(draw, seed: bytes) -> bytes:
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "delete", "dup"]))
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "cut":
            del data[i:]
        elif op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=64))
        elif op == "delete":
            del data[i:i + draw(st.integers(1, 64))]
        else:
            j = draw(st.integers(i, min(len(data), i + 512)))
            data[i:i] = data[i:j]
    return bytes(data)


def read_all(path) -> list:
    tracemalloc.start()
    try:
        try:
            out = list(iter_records(path))
        except ArchiveError:
            out = []
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_CAP, f"reader used {peak} bytes"
    for item in out:
        assert isinstance(item, (Found, Problem))
    return out


@pytest.mark.slow
@FUZZ
@given(data=mutated(SEED_GZ))
def test_fuzz_gzip_warc(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fz") / "f.warc.gz"
    path.write_bytes(data)
    for item in read_all(path):
        if isinstance(item, Found):
            # Whatever is found re-reads from its own pointer to the same record.
            again = load_record(path, item.offset, item.length)
            assert again.block == item.record.block


@pytest.mark.slow
@FUZZ
@given(data=mutated(SEED_PLAIN))
def test_fuzz_plain_warc(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fz") / "f.warc"
    path.write_bytes(data)
    for item in read_all(path):
        if isinstance(item, Found):
            again = load_record(path, item.offset, item.length)
            assert again.block == item.record.block


@pytest.mark.slow
@FUZZ
@given(data=mutated(SEED_PLAIN[:len(SEED_PLAIN) // 3]))
def test_fuzz_parse_record_and_member(data):
    for fn in (lambda: parse_record(data, "x", 0),
               lambda: decompress_member(gz(data)[:len(data)], "x", 0),
               lambda: parse_record(decompress_member(gz(data), "x", 0), "x", 0)):
        try:
            fn()
        except ArchiveError:
            pass


@FUZZ
@given(data=st.binary(max_size=4096))
def test_fuzz_random_bytes(tmp_path_factory, data):
    for name in ("r.warc.gz", "r.warc", "r.arc"):
        path = tmp_path_factory.mktemp("rb") / name
        path.write_bytes(data)
        read_all(path)


# -- round trip -------------------------------------------------------------------------

# What a server can send in a header value: bytes, which http.client reads as ISO-8859-1.
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF,
                                    blacklist_categories=("Cs", "Cc")),
                      max_size=200).map(str.strip)


@st.composite
def payloads(draw) -> bytes:
    kind = draw(st.sampled_from(["empty", "binary", "crlf", "big"]))
    if kind == "empty":
        return b""
    if kind == "binary":
        return draw(st.binary(max_size=4096))
    if kind == "crlf":
        parts = draw(st.lists(st.sampled_from([b"\r\n", b"\r\n\r\n", b"\n", b"\r", b"WARC/1.1\r\n",
                                               b"HTTP/1.1 200 OK\r\n", b"x"]), max_size=200))
        return b"".join(parts)
    unit = draw(st.binary(min_size=1, max_size=1024))
    return unit * draw(st.integers(1, (5 * 1024 * 1024) // len(unit)))


@pytest.mark.slow
@settings(max_examples=40, deadline=timedelta(seconds=20), derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(payload=payloads(), value=header_text, as_resource=st.booleans())
def test_round_trip(tmp_path_factory, payload, value, as_resource):
    root = tmp_path_factory.mktemp("rt")
    ws = WarcStore(root)
    b = ws.builder
    if as_resource:
        rec = b.create_warc_record("http://example.com/r", "resource", payload=io.BytesIO(payload),
                                   length=len(payload), warc_content_type="application/octet-stream",
                                   warc_headers_dict={"WARC-Record-ID": "<urn:uuid:1>"})
    else:
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html"), ("X-Fuzz", value)],
                                protocol="HTTP/1.1")
        rec = b.create_warc_record("http://example.com/p", "response", payload=io.BytesIO(payload),
                                   length=len(payload), http_headers=http,
                                   warc_headers_dict={"WARC-Record-ID": "<urn:uuid:1>"})
    (ptr,) = ws.append([rec])
    ws.close()
    back = load_record(root / ptr.warc_file, ptr.offset, ptr.length)
    assert back.payload == payload
    assert fixity_of(back) == "ok"
    assert hashlib.sha256(back.block).hexdigest() == ptr.block_sha256
    if not as_resource:
        assert ("X-Fuzz", value) in back.http_headers
    # A scan of the file finds the same record at the same pointer.
    found = [i for i in iter_records(root / ptr.warc_file) if isinstance(i, Found)]
    assert [(i.offset, i.length) for i in found][-1] == (ptr.offset, ptr.length)
    assert not [i for i in iter_records(root / ptr.warc_file) if isinstance(i, Problem)]
