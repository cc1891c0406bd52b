"""The reader thread that inflates gzip members ahead of the parser (archive/reader.py).

Its reads and zlib's input are cut at fixed sizes; what iter_records yields must not
depend on where those cuts fall, and the thread must never outlive the iteration.
"""

from __future__ import annotations

import threading

import pytest

from archive.warc import reader
from archive.warc.reader import Found, Problem, iter_records

from .helpers_faults import gz, valid_warc_gz, warc_record


def summary(path) -> list[tuple]:
    return [(type(i).__name__, i.offset, getattr(i, "length", None), getattr(i, "reason", None),
             i.record.record_id if isinstance(i, Found) else None) for i in iter_records(path)]


def damaged_warc_gz() -> bytes:
    good, _ = valid_warc_gz(6, payload_size=3000)
    corrupt = bytearray(gz(warc_record(url="http://example.com/corrupt")))
    corrupt[len(corrupt) // 2] ^= 0xFF
    cut = gz(warc_record(url="http://example.com/cut"))
    return good[:900] + b"garbage between records" + good[900:] + bytes(corrupt) + good + cut[:-9]


@pytest.mark.parametrize("chunk", [3, 5, 7, 64, 1000, 4096])
def test_records_do_not_depend_on_where_reads_are_cut(tmp_path, monkeypatch, chunk):
    path = tmp_path / "damaged.warc.gz"
    path.write_bytes(damaged_warc_gz())
    expected = summary(path)
    assert [k for k, *_ in expected].count("Problem") >= 3
    # A gzip header split by the end of a read used to be taken for garbage, and its
    # record was lost.
    monkeypatch.setattr(reader, "CHUNK", chunk)
    monkeypatch.setattr(reader, "FEED", max(1, chunk // 2))
    monkeypatch.setattr(reader._ReadAhead, "BATCH", 1)
    assert summary(path) == expected


def test_the_reader_thread_stops_with_the_iteration(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "READ_AHEAD", 1)   # the thread waits for the parser at once
    data, offsets = valid_warc_gz(50)
    path = tmp_path / "many.warc.gz"
    path.write_bytes(data)
    before = threading.active_count()
    records = iter_records(path)
    assert next(records).offset == offsets[0]
    records.close()
    assert threading.active_count() == before
    for item in iter_records(path):
        assert not isinstance(item, Problem)
        break
    assert threading.active_count() == before


def test_a_read_error_in_the_reader_thread_reaches_the_caller(tmp_path):
    data, _ = valid_warc_gz(5)
    path = tmp_path / "ok.warc.gz"
    path.write_bytes(data)

    class FailingFile:
        def __init__(self) -> None:
            self.f = open(path, "rb")
            self.reads = 0

        def seek(self, pos: int) -> int:
            return self.f.seek(pos)

        def read(self, n: int) -> bytes:
            self.reads += 1
            if self.reads > 1:
                raise OSError(5, "Input/output error")
            return self.f.read(3)

    before = threading.active_count()
    f = FailingFile()
    with pytest.raises(OSError, match="Input/output"):
        list(reader._iter_gzip(f, str(path)))
    f.f.close()
    assert threading.active_count() == before
