"""Proofs against a large ledger read a bounded part of it (issue 19: a citation page
hashed the whole ledger, several times, on every request: seconds at a million entries).
The hashes of complete subtrees of at least ``MERKLE_BLOCK`` entries are kept once
computed; a proof then reads the entry's block and the incomplete block at the end."""

from __future__ import annotations

import hashlib
import sqlite3

from archive.provenance import ledger


def chain_table(path, n: int) -> list[bytes]:
    data = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(n)]
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE ledger (seq INTEGER, entry_hash TEXT, chain TEXT)")
    conn.execute("CREATE INDEX ledger_chain ON ledger(chain, seq)")
    conn.executemany("INSERT INTO ledger VALUES (?, ?, 'c')", [(i + 1, d.hex()) for i, d in enumerate(data)])
    conn.commit()
    conn.close()
    return data


def test_a_proof_reads_a_bounded_part_of_a_large_ledger(tmp_path, monkeypatch):
    n = 20 * ledger.MERKLE_BLOCK + 77
    data = chain_table(tmp_path / "index.db", n)
    read: list[int] = []
    real = ledger.ChainTree._rows   # every read of the ledger table's entries

    def counting(self, lo, hi):
        read.append(hi - lo)
        return real(self, lo, hi)

    monkeypatch.setattr(ledger.ChainTree, "_rows", counting)
    conn = sqlite3.connect(tmp_path / "index.db")
    first = ledger.ChainTree(conn, "c")
    assert first.root(n) == ledger.merkle_root_of(data)
    assert sum(read) == n   # the first root reads every entry once
    for index in (0, 5 * ledger.MERKLE_BLOCK + 3, n - 1):
        read.clear()
        tree = ledger.ChainTree(conn, "c")   # another request
        assert tree.path(index, n) == ledger.inclusion_path(data, index)
        assert tree.root(n) == ledger.merkle_root_of(data)
        assert sum(read) <= 3 * ledger.MERKLE_BLOCK, (index, read)
    # The ledger grows: the subtrees already hashed still serve, the new ones are added.
    conn.executemany("INSERT INTO ledger VALUES (?, ?, 'c')",
                     [(n + 1 + i, hashlib.sha256(b"more" + bytes([i])).hexdigest()) for i in range(3)])
    conn.commit()
    more = data + [hashlib.sha256(b"more" + bytes([i])).digest() for i in range(3)]
    read.clear()
    assert ledger.ChainTree(conn, "c").root(n + 3) == ledger.merkle_root_of(more)
    assert sum(read) <= 2 * ledger.MERKLE_BLOCK


def test_an_entry_edited_in_the_ledger_table_fails_its_proof(tmp_path):
    """The subtrees kept are a proof's siblings, never the block of the entry proved: that
    entry, or one beside it, edited in the ledger table after its tree was hashed gives a
    path that does not lead to the root (the page says the proof fails). An entry edited
    elsewhere is found by ``verify --all`` and by the proofs of its own block."""
    n = 4 * ledger.MERKLE_BLOCK
    data = chain_table(tmp_path / "index.db", n)
    conn = sqlite3.connect(tmp_path / "index.db")
    proved = 2 * ledger.MERKLE_BLOCK + 10

    def proof_holds() -> bool:
        tree = ledger.ChainTree(conn, "c")
        return ledger.verify_inclusion(tree.entry_hash(proved), proved, n,
                                       [p.hex() for p in tree.path(proved, n)], tree.root(n).hex())

    assert proof_holds()
    for seq in (proved + 1, proved + 100):   # the entry proved, one of its block
        conn.execute("UPDATE ledger SET entry_hash=? WHERE seq=?",
                     (hashlib.sha256(b"forged" + str(seq).encode()).hexdigest(), seq))
        conn.commit()
        assert not proof_holds()
        conn.execute("UPDATE ledger SET entry_hash=? WHERE seq=?", (data[seq - 1].hex(), seq))
        conn.commit()
        assert proof_holds()


def test_a_chain_whose_seqs_are_not_one_to_n_is_proved_over_as_it_stands(tmp_path):
    """A fork (two entries claiming one seq) or a gap: the tree is the one over the
    chain's hashes in seq order, as the whole ledger read in a list gives it."""
    n = 3 * ledger.MERKLE_BLOCK
    chain_table(tmp_path / "index.db", n)
    conn = sqlite3.connect(tmp_path / "index.db")
    conn.execute("INSERT INTO ledger VALUES (?, ?, 'c')", (2 * ledger.MERKLE_BLOCK, hashlib.sha256(b"fork").hexdigest()))
    conn.execute("DELETE FROM ledger WHERE seq = ?", (ledger.MERKLE_BLOCK // 2,))
    conn.commit()
    listed = [bytes.fromhex(h) for h in ledger._entry_hashes(conn, chain="c")]
    tree = ledger.ChainTree(conn, "c")
    assert tree.root(tree.size) == ledger.merkle_root_of(listed[:tree.size])
    index = 2 * ledger.MERKLE_BLOCK + 100
    assert ledger.ChainTree(conn, "c").path(index, n) == ledger.inclusion_path(listed[:n], index)
