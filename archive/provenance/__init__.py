"""Proof: the ledger (hash chain, Merkle tree, signed heads), citations, their audit and
the signing keys. Writes go through the index's journal, never around it.
"""
