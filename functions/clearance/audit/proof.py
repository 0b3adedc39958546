"""Proofs a licensor checks offline: a decision, its place in its hour's Merkle tree, the signed
digest of that hour, the chain to a later digest, and the public key that signed them.

`build_proof` assembles one from what the audit bucket holds; `check_proof` needs nothing but the
file and the key the licensor was given (its PEM, or its fingerprint): no AWS account, no
network. The key inside the file only says which key made it; anyone can make a proof with a key
of their own, so a proof holds only against a pinned key.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from clearance.audit.chain import reject_constant
from clearance.audit.digest import HOUR, digest_key, sha256_hex
from clearance.audit.merkle import HASH_SIZE, inclusion_proof, merkle_root, verify_inclusion
from clearance.audit.segment import decided_hour
from clearance.audit.signature import PublicKeyVerifier, UnreadableKey
from clearance.contracts.encoding import canonical

PROOF_VERSION = 1


class ProofError(ValueError):
    """A proof cannot be made: the record is not yet sealed, or its digest is missing."""


@dataclass(frozen=True, slots=True)
class ProofCheck:
    """What `check_proof` found: what it checked, what fails, and the key it checked against.

    A proof holds only against a pinned key: one the licensor was given (its PEM, or its
    fingerprint). Checked against the key the file itself carries, it shows only that someone
    with some key made it.
    """

    checked: tuple[str, ...]
    failures: tuple[str, ...]
    fingerprint: str = ""
    pinned: bool = False

    @property
    def ok(self) -> bool:
        return not self.failures and bool(self.checked) and self.pinned


def build_proof(
    article_id: str,
    records: Sequence[tuple[str, bytes]],
    digests: dict[str, bytes],
    public_key_pem: str,
    key_id: str,
) -> dict[str, Any]:
    """One JSON-ready proof for the given records; `digests` holds each hour's and the next's."""
    proved = []
    chain: set[str] = set()
    for key, data in records:
        hour = decided_hour(key, data)
        if hour is None:
            raise ProofError(f"record {key} is not a record the service sealed")
        name = digest_key(hour)
        digest = digests.get(name)
        if digest is None:
            raise ProofError(
                f"record {key} is in the hour {hour:%Y-%m-%d %H}:00 UTC, not yet sealed by a "
                "digest; try again after the digest job has sealed it"
            )
        content = json.loads(digest)
        entries = content["records"]
        positions = [i for i, entry in enumerate(entries) if entry["key"] == key]
        if not positions:
            raise ProofError(f"digest {name} does not list record {key}: verify the log")
        index = positions[0]
        leaves = [bytes.fromhex(entry["sha256"]) for entry in entries]
        proved.append(
            {
                "key": key,
                "record": data.decode("utf-8"),
                "sha256": sha256_hex(data),
                "digest": name,
                "leaf_index": index,
                "tree_size": len(entries),
                "inclusion": [node.hex() for node in inclusion_proof(leaves, index)],
            }
        )
        chain.add(name)
        following = digest_key(hour + HOUR)
        if following in digests:
            chain.add(following)
    return {
        "proof_version": PROOF_VERSION,
        "article": article_id,
        "records": proved,
        "digests": {name: digests[name].decode("utf-8") for name in sorted(chain)},
        "signing": {"key_id": key_id, "algorithm": "ECDSA_SHA_256", "public_key": public_key_pem},
        "how_to_check": (
            "clearance audit check-proof FILE --public-key KEY.pem (or --fingerprint SHA256): "
            "the key or fingerprint you were given by the publisher, not one from this file"
        ),
    }


def check_proof(
    proof: Any, public_key_pem: str | bytes | None = None, *, fingerprint: str | None = None
) -> ProofCheck:
    """Every claim of the proof, checked offline; each failure names what fails.

    The key is pinned by `public_key_pem` (the licensor's copy) or by `fingerprint` (of the key
    in the file); without either every claim is still checked, and the result is not `ok`.
    Raises `UnreadableKey` when the key to check with is not a P-256 public key.
    """
    version = proof.get("proof_version") if isinstance(proof, dict) else None
    if not isinstance(proof, dict) or type(version) is not int or version != PROOF_VERSION:
        return ProofCheck((), ("the file is not a clearance proof (proof_version 1)",))
    verifier, checked = _key(proof, public_key_pem, fingerprint)
    pinned = public_key_pem is not None or fingerprint is not None
    if pinned and verifier.fingerprint != (fingerprint or verifier.fingerprint):
        return ProofCheck(
            (),
            (
                f"public key: the key in the proof has fingerprint {verifier.fingerprint}, not "
                f"the pinned {fingerprint}: these digests were not signed by the key you were "
                "given",
            ),
            verifier.fingerprint,
            pinned,
        )
    failures: list[str] = []
    texts = _mapping(proof.get("digests"))
    digests: dict[str, dict[str, Any]] = {}
    for name, text in sorted(texts.items()):
        content = _digest(name, text, verifier, failures)
        if content is not None:
            digests[name] = content
            checked.append(f"digest {name}: signature verifies, Merkle root and period match")
    for name, content in sorted(digests.items()):
        previous = _mapping(content.get("previous"))
        earlier = previous.get("key")
        if isinstance(earlier, str) and earlier in digests:
            if sha256_hex(str(texts[earlier]).encode()) != previous.get("sha256"):
                failures.append(
                    f"chain: digest {name} does not name digest {earlier} by its sha256"
                )
            else:
                checked.append(f"chain: digest {name} follows digest {earlier}")
    records = proof.get("records")
    if not isinstance(records, list) or not records:
        failures.append("the proof holds no decision record")
        records = []
    for item in records:
        _record(item, proof.get("article"), digests, (checked, failures))
    return ProofCheck(tuple(checked), tuple(failures), verifier.fingerprint, pinned)


def _key(
    proof: dict[str, Any], public_key_pem: str | bytes | None, fingerprint: str | None
) -> tuple[PublicKeyVerifier, list[str]]:
    """The key to check with, and the line that says which it is and how it is pinned."""
    if public_key_pem is not None:
        try:
            verifier = PublicKeyVerifier.from_pem(public_key_pem)
        except UnreadableKey as error:
            raise UnreadableKey(f"the pinned public key cannot be used: {error}") from None
        return verifier, [f"public key: pinned, fingerprint {verifier.fingerprint}"]
    try:
        verifier = PublicKeyVerifier.from_pem(_mapping(proof.get("signing")).get("public_key"))
    except UnreadableKey as error:
        raise UnreadableKey(
            f"the public key in the proof (signing.public_key) cannot be used: {error}"
        ) from None
    if fingerprint is None:
        return verifier, [f"public key: the one in the proof, fingerprint {verifier.fingerprint}"]
    return verifier, [
        f"public key: the one in the proof, fingerprint {verifier.fingerprint}, as pinned"
    ]


def _digest(
    name: str, text: Any, verifier: PublicKeyVerifier, failures: list[str]
) -> dict[str, Any] | None:
    if not isinstance(text, str):
        failures.append(f"digest {name}: not a JSON text")
        return None
    try:
        data = text.encode("utf-8")
        content = json.loads(data, parse_constant=reject_constant)
        signature = base64.b64decode(content["signature"], validate=True)
        body = {k: v for k, v in content.items() if k != "signature"}
        algorithm = str(content["signing"]["algorithm"])
        start = datetime.fromisoformat(content["period"]["start"]).astimezone(UTC)
        entries = content["records"]
        leaves = [bytes.fromhex(entry["sha256"]) for entry in entries]
        keys = [entry["key"] for entry in entries]
        own = digest_key(start)
        canonical_text, signed = canonical(content), canonical(body)
    except (
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        OverflowError,
        binascii.Error,
        RecursionError,
    ) as error:
        failures.append(f"digest {name}: cannot be read ({type(error).__name__})")
        return None
    if any(len(leaf) != HASH_SIZE for leaf in leaves) or not all(isinstance(k, str) for k in keys):
        failures.append(f"digest {name}: its records are not keys with SHA-256 hashes")
        return None
    if canonical_text != data:
        failures.append(f"digest {name}: its text is not the canonical JSON that was signed")
        return None
    if not verifier.verify(signed, signature, verifier.key_id, algorithm):
        failures.append(f"digest {name}: signature does not verify under the public key")
        return None
    if own != name:
        failures.append(f"digest {name}: it is the digest of another hour, {own}")
        return None
    if merkle_root(leaves).hex() != content.get("merkle_root"):
        failures.append(f"digest {name}: its Merkle root does not match its records")
        return None
    return dict(content)


def _record(
    item: Any,
    article: Any,
    digests: dict[str, dict[str, Any]],
    notes: tuple[list[str], list[str]],
) -> None:
    """One record: its content, its hash, its leaf in its digest and the path to the root."""
    checked, failures = notes
    if not isinstance(item, dict):
        failures.append("a record entry is not an object")
        return
    key = str(item.get("key"))
    try:
        data = str(item["record"]).encode("utf-8")
        index, size = _whole(item["leaf_index"]), _whole(item["tree_size"])
        path = [bytes.fromhex(node) for node in item["inclusion"]]
        name = str(item["digest"])
    except (KeyError, TypeError, ValueError, UnicodeError):
        failures.append(f"record {key}: its proof entry is incomplete")
        return
    hour = decided_hour(key, data)
    if hour is None:
        failures.append(f"record {key}: its content does not name its key, or is not one JSON line")
        return
    if digest_key(hour) != name:
        failures.append(f"record {key}: decided in another hour than digest {name} covers")
        return
    content = digests.get(name)
    if content is None:
        failures.append(f"record {key}: its digest {name} is missing or failed its check")
        return
    sha256 = sha256_hex(data)
    entries = content["records"]
    if size != len(entries) or not 0 <= index < size or entries[index]["key"] != key:
        failures.append(f"record {key}: digest {name} does not list it at leaf {index}")
        return
    if entries[index]["sha256"] != sha256:
        failures.append(
            f"record {key}: its sha256 {sha256} is not the {entries[index]['sha256']} that "
            f"digest {name} lists: the record was changed"
        )
        return
    root = bytes.fromhex(content["merkle_root"])
    if not verify_inclusion(bytes.fromhex(sha256), index, size, path, root):
        failures.append(f"record {key}: its inclusion proof does not lead to the root of {name}")
        return
    if item.get("sha256", sha256) != sha256:
        failures.append(f"record {key}: the sha256 the proof gives is not its record's, {sha256}")
        return
    if _article(data) != article:
        failures.append(f"record {key}: it is not a decision about article {article}")
        return
    checked.append(f"record {key}: included at leaf {index} of {size} in digest {name}")


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _article(data: bytes) -> Any:
    record = json.loads(data)
    return record.get("article", {}).get("id") if isinstance(record.get("article"), dict) else None


def _whole(value: Any) -> int:
    """A leaf index or tree size: a JSON integer, nothing else."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{value!r} is not a whole number")
    return value
