"""RFC 6962 Merkle trees: one root commits to a whole period of audit records.

The tree hash is the Certificate Transparency one (RFC 6962 §2.1, RFC 9162 §2.1): leaves and
inner nodes are hashed with different one-byte prefixes, so no leaf can pose as a subtree, and an
odd tree is split at the largest power of two instead of duplicating a node. An inclusion proof
lets a reviewer check one record against a digest's root without every other record.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

HASH_SIZE = 32
_LEAF = b"\x00"
_NODE = b"\x01"


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(_LEAF + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(_NODE + left + right).digest()


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]); the empty tree's root is SHA-256 of nothing."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    return _subtree([leaf_hash(leaf) for leaf in leaves], 0, len(leaves))


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(m, D[n]) of RFC 6962 §2.1.1: the sibling subtree roots from the leaf up."""
    if not 0 <= index < len(leaves):
        raise IndexError(f"leaf {index} is not in a tree of {len(leaves)}")
    hashes = [leaf_hash(leaf) for leaf in leaves]
    proof: list[bytes] = []
    start, end, m = 0, len(hashes), index
    while end - start > 1:
        k = _split(end - start)
        if m < k:
            proof.append(_subtree(hashes, start + k, end))
            end = start + k
        else:
            proof.append(_subtree(hashes, start, start + k))
            start, m = start + k, m - k
    proof.reverse()
    return proof


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2: recompute the root from the leaf and its path, and compare."""
    if not 0 <= index < size or any(len(node) != HASH_SIZE for node in proof):
        return False
    fn, sn = index, size - 1
    r = leaf_hash(leaf)
    for node in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(node, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, node)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _subtree(hashes: Sequence[bytes], start: int, end: int) -> bytes:
    if end - start == 1:
        return hashes[start]
    k = _split(end - start)
    return node_hash(_subtree(hashes, start, start + k), _subtree(hashes, start + k, end))
