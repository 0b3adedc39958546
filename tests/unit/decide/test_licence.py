"""Feed restrictions judged one by one: each finding points at the field that restricted."""

from __future__ import annotations

import json

from clearance.decide.licence import feed_verdict
from clearance.decide.rights import Circumstances
from clearance.ingest.article import Article
from clearance.terms.policy import policy_from_document
from tests.conftest import NOW, PROJECT

EXAMPLE = PROJECT / "schemas" / "examples" / "feed-restriction" / "policies" / "wire.json"


def test_each_restriction_points_at_its_own_field() -> None:
    # Given terms reading exclusions from the editor's note and from the usage terms
    document = json.loads(EXAMPLE.read_text())
    document["feed_restrictions"].append(
        {
            "id": "wire.usage",
            "description": "the usage terms exclude a territory",
            "field": "usage_terms",
            "pattern": "[Nn]ot for use in (?P<territory>[A-Z][a-z]+)",
        }
    )
    policy = policy_from_document(document, json.dumps(document).encode())
    article: Article = {"ed_note": "BRITAIN OUT", "usage_terms": "Not for use in Ireland"}
    # When a licensee in Ireland, then one in Britain, is judged
    ireland = feed_verdict(
        article, policy, Circumstances("IE", "editorial", "web", NOW, None, False)
    )
    britain = feed_verdict(
        article, policy, Circumstances("GB", "editorial", "web", NOW, None, False)
    )
    # Then each is refused by the restriction that names it, pointing at its field
    assert [(f.rule_id, f.pointer) for f in ireland.findings] == [
        ("feed.wire.usage.ie", "/usage_terms")
    ]
    assert [(f.rule_id, f.pointer) for f in britain.findings] == [("feed.wire.out.gb", "/ed_note")]
