"""A provider's signed POST over real HTTP, through the queue, to cleared copies and a decision."""

from __future__ import annotations

import json

from clearance.local.stack import LocalStack
from tests.e2e.conftest import (
    MENAFN,
    TEXT,
    decision_count,
    decisions,
    deliver,
    menafn_article,
    objects,
    request,
    settled,
    versions,
)

DISCLAIMER = "MENAFN provides the information “as is” without warranty of any kind."


def test_signed_post_is_accepted_then_cleared_with_its_notices_and_decided_once(
    fresh: LocalStack,
) -> None:
    # Given MENAFN's article, signed with MENAFN's webhook secret
    # When MENAFN POSTs it to the webhook
    response = deliver(fresh, MENAFN, "msg-ports-1")
    # Then it is accepted at once, with where it was stored
    assert response.status == 202
    answer = response.json
    assert answer["provider"] == "menafn"
    assert answer["delivery"] == "msg-ports-1"
    assert answer["key"].startswith("inbound/menafn/")
    assert objects(fresh, "inbound", "inbound/")[answer["key"]] == MENAFN
    # And once processed, JSON, HTML and text copies carry the credit and the disclaimer
    settled(fresh, 1)
    cleared = objects(fresh, "cleared")
    assert sorted(key.rsplit(".", 1)[1] for key in cleared) == ["html", "json", "txt"]
    assert all(key.startswith("cleared/menafn/") for key in cleared)
    text = next(data for key, data in cleared.items() if key.endswith(".txt")).decode()
    html = next(data for key, data in cleared.items() if key.endswith(".html")).decode()
    document = json.loads(next(data for key, data in cleared.items() if key.endswith(".json")))
    assert "(MENAFN)" in text
    assert f"Legal Disclaimer:\n{DISCLAIMER}" in text
    assert DISCLAIMER.replace("“", "&ldquo;")[:40] in html or DISCLAIMER[:40] in html
    notices = {notice["id"] for notice in document["clearance"]["notices"]}
    assert notices == {"menafn-credit", "menafn-disclaimer"}
    # And exactly one decision names the delivery and every copy
    [record] = decisions(fresh)
    assert record["outcome"] == "cleared"
    assert record["source"]["key"] == answer["key"]
    assert {copy["key"] for copy in record["copies"]} == set(cleared)
    assert objects(fresh, "quarantine") == {}


def test_replayed_delivery_gets_the_first_answer_and_no_second_decision(fresh: LocalStack) -> None:
    # Given a delivery that was accepted
    first = deliver(fresh, MENAFN, "msg-ports-replay")
    assert first.status == 202
    # When the provider sends it again with the same delivery id (a retry after a timeout)
    again = deliver(fresh, MENAFN, "msg-ports-replay")
    # Then it gets the same answer, and the article is decided and copied once
    assert (again.status, again.json) == (202, first.json)
    settled(fresh, 1)
    assert decision_count(fresh) == 1
    assert len(objects(fresh, "cleared")) == 3
    assert versions(fresh, "cleared") == 3


def test_body_altered_after_signing_is_refused_and_nothing_is_stored(fresh: LocalStack) -> None:
    # Given a delivery whose body was changed after MENAFN signed it
    altered = MENAFN.replace(b"nine percent", b"ninety percent")
    # When it is POSTed with the original signature
    response = deliver(fresh, altered, "msg-tampered", signed_body=MENAFN)
    # Then it is refused as unsigned, and nothing reaches the buckets or the queue
    assert response.status == 401
    assert response.json["error"]["code"] == "signature.no-matching-signature"
    assert response.headers["Content-Type"] == "application/json"
    assert objects(fresh, "inbound") == {}
    assert fresh.queue_depth() == 0
    assert decision_count(fresh) == 0


def test_unsigned_post_is_refused_and_nothing_is_stored(fresh: LocalStack) -> None:
    # When someone POSTs an article without any signature headers
    response = request(
        fresh.webhook_for("menafn"), menafn_article("unsigned"), {"Content-Type": TEXT}
    )
    # Then the answer is 401 naming the missing header, and nothing is stored
    assert response.status == 401
    assert response.json["error"]["code"] == "signature.missing-header"
    assert objects(fresh, "inbound") == {}
    assert decision_count(fresh) == 0


def test_post_for_an_unregistered_provider_is_a_json_404(fresh: LocalStack) -> None:
    # When an article is POSTed for a provider that has no policy
    unknown = request(fresh.webhook_for("nobody"), MENAFN, {"Content-Type": TEXT})
    # Then the answer is 404 in the webhook's JSON shape, before any signature is looked at
    assert unknown.status == 404
    assert unknown.json["error"]["code"] == "provider.unknown"


def test_unknown_path_is_a_json_404_and_get_on_the_webhook_is_a_405(stack: LocalStack) -> None:
    # When a client asks for a path the API does not have
    missing = request(f"{stack.base_url}/v2/nothing/here", method="GET")
    # Then the gateway answers 404 in JSON
    assert missing.status == 404
    assert missing.headers["Content-Type"] == "application/json"
    assert missing.json["error"]["code"] == "route.not-found"
    # And the webhook itself only takes POST
    wrong_method = request(stack.webhook_for("menafn"), method="GET")
    assert wrong_method.status == 405
    assert wrong_method.headers["Allow"] == "POST"
