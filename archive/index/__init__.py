"""The SQLite index: schema, the rows a record gives, the durable journal (append → fsync
→ index, with group commit and crash recovery), versions and the read-only queries.

It reads WARC records (:mod:`archive.warc`) and extracted text (:mod:`archive.text`) and
knows nothing of citations, the ledger or the web.
"""
