"""A provenance-preserving web archive store.

WARC files under ``warcs/`` are the source of truth; ``archive.db`` is a SQLite index
rebuilt from them by ``archive reindex``; Datasette serves the index with citation pages.
"""

__version__ = "0.1.0"
SOFTWARE = f"archive-store/{__version__}"
SIGNING_KEY_ENV = "ARCHIVE_SIGNING_KEY"   # names the private key that signs ledger heads
PUBLIC_KEY_ENV = "ARCHIVE_PUBLIC_KEY"     # names the public key signatures are checked against (pinned)
