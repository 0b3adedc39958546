"""Proofs a licensor checks offline: a decision, its place in its hour's Merkle tree, the signed
digest of that hour, the chain to a later digest, and the public key that signed them.

`build_proof` assembles one from what the audit bucket holds; `check_proof` needs nothing but the
file (and, to pin the key, the PEM the licensor was given): no AWS account, no network.
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
from clearance.audit.merkle import inclusion_proof, merkle_root, verify_inclusion
from clearance.audit.segment import decided_hour
from clearance.audit.signature import PublicKeyVerifier
from clearance.contracts.encoding import canonical

PROOF_VERSION = 1


class ProofError(ValueError):
    """A proof cannot be made: the record is not yet sealed, or its digest is missing."""


@dataclass(frozen=True, slots=True)
class ProofCheck:
    """What `check_proof` found: what it checked, and what fails (empty when the proof holds)."""

    checked: tuple[str, ...]
    failures: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.failures and bool(self.checked)


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
        "how_to_check": "clearance audit check-proof FILE --public-key KEY.pem",
    }


def check_proof(proof: Any, public_key_pem: str | None = None) -> ProofCheck:
    """Every claim of the proof, checked offline; each failure names what fails."""
    checked: list[str] = []
    failures: list[str] = []
    if not isinstance(proof, dict) or proof.get("proof_version") != PROOF_VERSION:
        return ProofCheck((), ("the file is not a clearance proof (proof_version 1)",))
    try:
        pem = public_key_pem or proof["signing"]["public_key"]
        verifier = PublicKeyVerifier.from_pem(pem)
    except (KeyError, TypeError, ValueError) as error:
        return ProofCheck((), (f"the public key cannot be read: {error}",))
    if public_key_pem is None:
        checked.append("public key: the one in the file (pass --public-key to pin the licensor's)")
    digests: dict[str, dict[str, Any]] = {}
    for name, text in sorted(_mapping(proof.get("digests")).items()):
        content = _digest(name, text, verifier, failures)
        if content is not None:
            digests[name] = content
            checked.append(f"digest {name}: signature verifies, Merkle root and period match")
    for name, content in sorted(digests.items()):
        previous = content.get("previous") or {}
        if previous.get("key") in digests:
            earlier = str(_mapping(proof.get("digests"))[previous["key"]]).encode()
            if sha256_hex(earlier) != previous.get("sha256"):
                failures.append(
                    f"chain: digest {name} does not name digest {previous['key']} by its sha256"
                )
            else:
                checked.append(f"chain: digest {name} follows digest {previous['key']}")
    records = proof.get("records")
    if not isinstance(records, list) or not records:
        failures.append("the proof holds no decision record")
        records = []
    for item in records:
        _record(item, digests, checked, failures)
    return ProofCheck(tuple(checked), tuple(failures))


def _digest(
    name: str, text: Any, verifier: PublicKeyVerifier, failures: list[str]
) -> dict[str, Any] | None:
    if not isinstance(text, str):
        failures.append(f"digest {name}: not a JSON text")
        return None
    data = text.encode("utf-8")
    try:
        content = json.loads(data, parse_constant=reject_constant)
        signature = base64.b64decode(content["signature"], validate=True)
        body = {k: v for k, v in content.items() if k != "signature"}
        algorithm = content["signing"]["algorithm"]
        start = datetime.fromisoformat(content["period"]["start"]).astimezone(UTC)
        leaves = [bytes.fromhex(entry["sha256"]) for entry in content["records"]]
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as error:
        failures.append(f"digest {name}: cannot be read ({type(error).__name__})")
        return None
    if canonical(content) != data:
        failures.append(f"digest {name}: its text is not the canonical JSON that was signed")
        return None
    if not verifier.verify(canonical(body), signature, verifier.key_id, algorithm):
        failures.append(f"digest {name}: signature does not verify under the public key")
        return None
    if digest_key(start) != name:
        failures.append(f"digest {name}: it is the digest of another hour, {digest_key(start)}")
        return None
    if merkle_root(leaves).hex() != content.get("merkle_root"):
        failures.append(f"digest {name}: its Merkle root does not match its records")
        return None
    return dict(content)


def _record(
    item: Any, digests: dict[str, dict[str, Any]], checked: list[str], failures: list[str]
) -> None:
    if not isinstance(item, dict):
        failures.append("a record entry is not an object")
        return
    key = str(item.get("key"))
    try:
        data = str(item["record"]).encode("utf-8")
        index, size = int(item["leaf_index"]), int(item["tree_size"])
        path = [bytes.fromhex(node) for node in item["inclusion"]]
        name = str(item["digest"])
    except (KeyError, TypeError, ValueError):
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
    checked.append(f"record {key}: included at leaf {index} of {size} in digest {name}")


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
