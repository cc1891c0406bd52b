"""Bytes on disk: WARC records, their digests, the append-only writer and the streaming reader.

Nothing in this package knows about the index, extraction or citations. Import order
inside it: ``digests`` ← ``record`` ← ``writer``, ``reader``.
"""
