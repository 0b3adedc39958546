"""RFC 6962 Merkle trees, checked against the Certificate Transparency reference vectors."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearance.audit.merkle import (
    inclusion_proof,
    leaf_hash,
    merkle_root,
    node_hash,
    verify_inclusion,
)

# The leaves and roots shared by google/certificate-transparency and transparency-dev/merkle
# (testonly/constants.go): ROOTS[n] is the root of the tree of the first n leaves.
LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    bytes.fromhex(h)
    for h in (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]
# transparency-dev/merkle proof/verify_test.go `inclusionProofs`, as (index, size, path).
PROOFS = [
    (
        0,
        8,
        (
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ),
    ),
    (
        5,
        8,
        (
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
    (2, 3, ("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",)),
    (
        1,
        5,
        (
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ),
    ),
    (0, 1, ()),
]
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def flip(data: bytes, bit: int) -> bytes:
    changed = bytearray(data)
    changed[bit // 8 % len(changed)] ^= 1 << (bit % 8)
    return bytes(changed)


def test_empty_tree_root_is_sha256_of_nothing() -> None:
    # Given no leaves / When the root is computed / Then it is SHA-256("")
    assert merkle_root([]) == hashlib.sha256(b"").digest() == ROOTS[0]


@pytest.mark.parametrize("size", range(1, 9))
def test_root_matches_the_reference_vector(size: int) -> None:
    # Given the first `size` reference leaves
    # When the root is computed
    # Then it is the reference root (8 leaves: 5dc9da79...)
    assert merkle_root(LEAVES[:size]).hex() == ROOTS[size].hex()


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    # Given the empty leaf and the two-leaf reference tree
    # Then a leaf is hashed with 0x00 and a node with 0x01 before SHA-256
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest() == ROOTS[1]
    assert node_hash(leaf_hash(LEAVES[0]), leaf_hash(LEAVES[1])) == ROOTS[2]


@pytest.mark.parametrize(("index", "size", "path"), PROOFS)
def test_inclusion_proof_matches_the_reference_vector(
    index: int, size: int, path: tuple[str, ...]
) -> None:
    # Given the first `size` reference leaves
    # When the audit path of one leaf is computed
    proof = inclusion_proof(LEAVES[:size], index)
    # Then it is the reference path and it verifies against the reference root
    assert [node.hex() for node in proof] == list(path)
    assert verify_inclusion(LEAVES[index], index, size, proof, ROOTS[size])


@pytest.mark.parametrize(("index", "size", "path"), [p for p in PROOFS if p[2]])
def test_corrupted_reference_proofs_are_rejected(
    index: int, size: int, path: tuple[str, ...]
) -> None:
    # Given a reference proof that verifies
    proof = [bytes.fromhex(node) for node in path]
    root = ROOTS[size]
    leaf = LEAVES[index]
    assert verify_inclusion(leaf, index, size, proof, root)
    # When any one input is wrong (the probes of transparency-dev/merkle's verifier tests)
    probes = [
        (leaf, index - 1, size, proof, root),
        (leaf, index + 1, size, proof, root),
        (leaf, index ^ 2, size, proof, root),
        (leaf, index, size * 2, proof, root),
        (leaf, index, size // 2, proof, root),
        (b"WrongLeaf", index, size, proof, root),
        (leaf, index, size, proof, ROOTS[0]),
        (leaf, index, size, proof, SOME_HASH),
        (leaf, index, size, [*proof, b""], root),
        (leaf, index, size, [*proof, root], root),
        (leaf, index, size, [b"", *proof], root),
        (leaf, index, size, [root, *proof], root),
        (leaf, index, size, proof[:-1], root),
        (leaf, index, size, [proof[0], SOME_HASH, *proof[1:]], root),
    ]
    # Then none of them verifies
    for probe in probes:
        assert not verify_inclusion(*probe), probe


def test_proof_for_a_leaf_outside_the_tree_is_refused() -> None:
    # Given a tree of three leaves / When a proof of a fourth is asked for / Then it is refused
    with pytest.raises(IndexError):
        inclusion_proof(LEAVES[:3], 3)
    with pytest.raises(IndexError):
        inclusion_proof([], 0)
    # And nothing verifies against an empty tree
    assert not verify_inclusion(b"", 0, 0, [], ROOTS[0])


unique_leaves = st.lists(st.binary(max_size=40), min_size=1, max_size=70, unique=True)


@given(leaves=unique_leaves, data=st.data())
def test_every_proof_verifies_and_any_flipped_bit_does_not(
    leaves: list[bytes], data: st.DataObject
) -> None:
    # Given any tree and any of its leaves
    root = merkle_root(leaves)
    index = data.draw(st.integers(0, len(leaves) - 1), label="index")
    proof = inclusion_proof(leaves, index)
    # Then its proof verifies, and has one node per level of its path
    assert verify_inclusion(leaves[index], index, len(leaves), proof, root)
    assert len(proof) <= (len(leaves) - 1).bit_length()
    # When one bit of the proof, the root or a non-empty leaf is flipped
    bit = data.draw(st.integers(0, 32 * 8 - 1), label="bit")
    assert not verify_inclusion(leaves[index], index, len(leaves), proof, flip(root, bit))
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1), label="node")
        broken = [flip(node, bit) if i == at else node for i, node in enumerate(proof)]
        assert not verify_inclusion(leaves[index], index, len(leaves), broken, root)
    if leaves[index]:
        assert not verify_inclusion(flip(leaves[index], bit), index, len(leaves), proof, root)
    # And the same proof does not verify any other leaf of the tree
    other = data.draw(st.integers(0, len(leaves) - 1), label="other")
    if other != index:
        assert not verify_inclusion(leaves[other], other, len(leaves), proof, root)
        assert not verify_inclusion(leaves[index], other, len(leaves), proof, root)


@given(leaves=st.lists(st.binary(max_size=8), max_size=40))
def test_root_is_the_recursive_definition(leaves: list[bytes]) -> None:
    # Given any leaves / Then the root is MTH as RFC 6962 §2.1 defines it, written naively
    def mth(d: list[bytes]) -> bytes:
        if not d:
            return hashlib.sha256(b"").digest()
        if len(d) == 1:
            return hashlib.sha256(b"\x00" + d[0]).digest()
        k = 1
        while k * 2 < len(d):
            k *= 2
        return hashlib.sha256(b"\x01" + mth(d[:k]) + mth(d[k:])).digest()

    assert merkle_root(leaves) == mth(leaves)
