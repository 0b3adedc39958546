"""Licence rules read from a policy or an item's ODRL into one model; what is not understood is
named, never skipped; a policy's constraints are linted before they govern anything."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from clearance.contracts.territory import TerritoryError
from clearance.terms.encodedrights import read_encoded_rights
from clearance.terms.odrl import (
    Constraint,
    RelativeTime,
    Rule,
    Unintelligible,
    duration,
    rules_from_policy,
)
from clearance.terms.rulelint import constraint_problems
from tests.conftest import SAMPLES, needs_samples

UK_FIRST_30_DAYS: dict[str, Any] = {
    "id": "uk-first-30-days",
    "description": "not in the UK for 30 days from publication",
    "action": "distribute",
    "constraint": [
        {"leftOperand": "spatial", "operator": "eq", "rightOperand": "GBR"},
        {
            "leftOperand": "dateTime",
            "operator": "lt",
            "rightOperand": {"from": "published", "offset": "P30D"},
        },
    ],
}
EU_ONLY: dict[str, Any] = {
    "id": "eu-only",
    "description": "EU only",
    "action": "distribute",
    "constraint": [
        {"leftOperand": "spatial", "operator": "isAnyOf", "rightOperand": ["DEU", "FR"]}
    ],
}


def spatial(operator: str, value: object) -> dict[str, Any]:
    return {"leftOperand": "spatial", "operator": operator, "rightOperand": value}


def rule(
    action: object = "distribute", *constraints: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    return {"id": extra.pop("id", "r"), "action": action, "constraint": list(constraints), **extra}


def unintelligible_in_policy(entry: dict[str, Any]) -> Unintelligible:
    with pytest.raises(Unintelligible) as raised:
        rules_from_policy({"prohibitions": [entry]})
    return raised.value


# --- the project's policy format ---------------------------------------------------------------


def test_policy_permissions_and_prohibitions_read_into_rules_with_codes_normalised() -> None:
    # Given the policy's constraints with a permission for the EU and a UK hold-back
    constraints = {"permissions": [EU_ONLY], "prohibitions": [UK_FIRST_30_DAYS]}
    # When they are read
    rules = rules_from_policy(constraints)
    # Then each keeps its id and description, and territories are alpha-2
    assert rules == (
        Rule(
            "permission",
            "distribute",
            (Constraint("spatial", "isAnyOf", ("DE", "FR")),),
            "eu-only",
            "EU only",
        ),
        Rule(
            "prohibition",
            "distribute",
            (
                Constraint("spatial", "eq", ("GB",)),
                Constraint("dateTime", "lt", RelativeTime("published", timedelta(days=30))),
            ),
            "uk-first-30-days",
            "not in the UK for 30 days from publication",
        ),
    )


def test_a_policy_without_constraint_rules_has_none() -> None:
    assert rules_from_policy({"embargo": True}) == ()


@pytest.mark.parametrize(
    "action",
    [
        "print",
        "odrl:print",
        "http://www.w3.org/ns/odrl/2/print",
        {"@id": "odrl:print"},
    ],
)
def test_actions_are_read_as_short_names_from_any_spelling(action: object) -> None:
    [read] = rules_from_policy({"permissions": [rule(action)]})
    assert read.action == "print"


def test_an_action_refinement_becomes_a_constraint_of_its_rule() -> None:
    # Given an ODRL 2.2 action object refined to print in Germany
    action = {
        "rdf:value": {"@id": "odrl:print"},
        "refinement": [spatial("eq", "http://cvx.iptc.org/iso3166-1a2/DE")],
    }
    # When it is read
    [read] = rules_from_policy({"permissions": [rule(action, spatial("neq", "FR"))]})
    # Then the rule carries its own constraint and the refinement
    assert read.action == "print"
    assert read.constraints == (
        Constraint("spatial", "neq", ("FR",)),
        Constraint("spatial", "eq", ("DE",)),
    )


def test_purposes_channels_and_absolute_times_are_read() -> None:
    entry = rule(
        "reproduce",
        {"leftOperand": "purpose", "operator": "isNoneOf", "rightOperand": ["commercial"]},
        {"leftOperand": "deliveryChannel", "operator": "eq", "rightOperand": "web"},
        {"leftOperand": "dateTime", "operator": "gteq", "rightOperand": "2026-12-01T08:00:00Z"},
    )
    [read] = rules_from_policy({"permissions": [entry]})
    assert read.constraints == (
        Constraint("purpose", "isNoneOf", ("commercial",)),
        Constraint("deliveryChannel", "eq", ("web",)),
        Constraint("dateTime", "gteq", datetime(2026, 12, 1, 8, tzinfo=UTC)),
    )


def test_a_permission_duty_in_a_policy_becomes_a_duty_rule() -> None:
    entry = rule("distribute", id="syndication", duty=[{"action": "odrl:inform"}])
    rules = rules_from_policy({"permissions": [entry]})
    assert [(r.kind, r.action, r.id) for r in rules] == [
        ("permission", "distribute", "syndication"),
        ("duty", "inform", "syndication-duty-0"),
    ]


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("P30D", timedelta(days=30)),
        ("PT6H", timedelta(hours=6)),
        ("P1DT12H", timedelta(days=1, hours=12)),
        ("P2W", timedelta(weeks=2)),
        ("PT90M", timedelta(minutes=90)),
    ],
)
def test_durations_of_fixed_length_are_read(text: str, length: timedelta) -> None:
    assert duration(text) == length


@pytest.mark.parametrize("text", ["P1M", "P1Y", "P1Y2D", "P", "PT", "30D", "P1.5D", "-P1D"])
def test_durations_of_months_years_or_no_form_are_unintelligible(text: str) -> None:
    with pytest.raises(Unintelligible) as raised:
        duration(text, "/offset")
    assert raised.value.term == f"offset {text!r}"
    assert raised.value.pointer == "/offset"


def test_months_are_refused_because_they_have_no_fixed_length() -> None:
    with pytest.raises(Unintelligible, match="months and years have no fixed length"):
        duration("P1M")


@pytest.mark.parametrize(
    ("entry", "term", "pointer"),
    [
        (rule("http://example.com/x"), "action 'http://example.com/x'", "/action"),
        (rule("odrl:sell"), "action 'odrl:sell'", "/action"),
        (
            rule("distribute", {"leftOperand": "elapsedTime", "operator": "eq", "rightOperand": 1}),
            "leftOperand 'elapsedTime'",
            "/constraint/0/leftOperand",
        ),
        (rule("distribute", spatial("isA", "GB")), "operator 'isA'", "/constraint/0/operator"),
        (
            rule("distribute", spatial("lt", "GB")),
            "operator 'lt' on spatial",
            "/constraint/0/operator",
        ),
        (
            rule(
                "distribute",
                {"leftOperand": "dateTime", "operator": "isAnyOf", "rightOperand": ["x"]},
            ),
            "operator 'isAnyOf' on dateTime",
            "/constraint/0/operator",
        ),
        (
            rule("distribute", spatial("eq", ["GB", "FR"])),
            "2 values for 'eq'",
            "/constraint/0/rightOperand",
        ),
        (
            rule(
                "distribute",
                {"leftOperand": "purpose", "operator": "eq", "rightOperand": "advertising"},
            ),
            "purpose 'advertising'",
            "/constraint/0/rightOperand",
        ),
        (
            rule(
                "distribute",
                {"leftOperand": "deliveryChannel", "operator": "eq", "rightOperand": "fax"},
            ),
            "deliveryChannel 'fax'",
            "/constraint/0/rightOperand",
        ),
        (
            rule(
                "distribute",
                {"leftOperand": "dateTime", "operator": "lt", "rightOperand": "2026-12-01T08:00"},
            ),
            "dateTime '2026-12-01T08:00'",
            "/constraint/0/rightOperand",
        ),
        (
            rule(
                "distribute",
                {
                    "leftOperand": "dateTime",
                    "operator": "lt",
                    "rightOperand": {"from": "published", "offset": "P1M"},
                },
            ),
            "offset 'P1M'",
            "/constraint/0/rightOperand/offset",
        ),
        (
            rule(
                "distribute",
                {
                    "leftOperand": "dateTime",
                    "operator": "lt",
                    "rightOperand": {"from": "created", "offset": "P1D"},
                },
            ),
            "time counted from 'created'",
            "/constraint/0/rightOperand/from",
        ),
        (
            rule("distribute", {"or": [spatial("eq", "GB"), spatial("eq", "FR")]}),
            "logical constraint 'or'",
            "/constraint/0",
        ),
        (
            rule("distribute", {**spatial("eq", "GB"), "unit": "km"}),
            "constraint member 'unit'",
            "/constraint/0/unit",
        ),
    ],
)
def test_each_term_not_understood_is_named_with_where_it_is(
    entry: dict[str, Any], term: str, pointer: str
) -> None:
    error = unintelligible_in_policy(entry)
    assert error.term == term
    assert error.pointer == f"/constraints/prohibitions/0{pointer}"
    assert error.pointer in str(error)


def test_an_unknown_territory_is_refused_as_a_territory_error_naming_the_code() -> None:
    error = unintelligible_in_policy(rule("distribute", spatial("isAnyOf", ["FR", "XX"])))
    assert isinstance(error, TerritoryError)
    assert error.term == "spatial 'XX'"
    assert "'XX' is not an ISO 3166-1 alpha-2 or alpha-3 code" in str(error)


# --- rights carried by an item -----------------------------------------------------------------

ODRL_22 = {
    "@context": "http://www.w3.org/ns/odrl.jsonld",
    "@type": "Agreement",
    "uid": "http://agency.example/policy:1",
    "permission": [
        {
            "target": "http://agency.example/item/1",
            "assigner": "http://agency.example/",
            "assignee": "http://licensee.example/",
            "action": "odrl:distribute",
            "constraint": [
                {
                    "leftOperand": "odrl:spatial",
                    "operator": "odrl:isAnyOf",
                    "rightOperand": [
                        {"@id": "http://cvx.iptc.org/iso3166-1a3/DEU"},
                        {"@id": "http://cvx.iptc.org/iso3166-1a2/AT"},
                    ],
                },
                {
                    "leftOperand": "http://www.w3.org/ns/odrl/2/dateTime",
                    "operator": "http://www.w3.org/ns/odrl/2/lteq",
                    "rightOperand": {"@value": "2027-01-01T00:00:00Z", "@type": "xsd:dateTime"},
                },
            ],
            "duty": [{"action": "attribute"}, {"action": {"@id": "odrl:compensate"}}],
        }
    ],
    "prohibition": [
        {
            "action": [
                "odrl:commercialize",
                {
                    "rdf:value": {"@id": "odrl:print"},
                    "refinement": [
                        {
                            "leftOperand": "purpose",
                            "operator": "eq",
                            "rightOperand": {"@id": "http://vocab.example/purpose/editorial"},
                        }
                    ],
                },
            ]
        }
    ],
    "obligation": [{"action": "inform"}],
}

ODRL_20 = {
    "policytype": "http://www.w3.org/ns/odrl/2/Set",
    "policyid": "http://agency.example/policy:2",
    "permissions": [
        {
            "target": "http://agency.example/item/2",
            "action": "http://www.w3.org/ns/odrl/2/reproduce",
            "constraints": [
                {
                    "name": "http://www.w3.org/ns/odrl/2/spatial",
                    "operator": "http://www.w3.org/ns/odrl/2/eq",
                    "rightoperand": "http://cvx.iptc.org/iso3166-1a3/NOR",
                }
            ],
            "duties": [{"action": "http://www.w3.org/ns/odrl/2/attribute"}],
        }
    ],
    "prohibitions": [
        {
            "target": "http://agency.example/item/2",
            "action": "http://www.w3.org/ns/odrl/2/commercialize",
        }
    ],
}


def test_odrl_22_json_ld_reads_permissions_prohibitions_duties_and_obligations() -> None:
    rules = read_encoded_rights(json.dumps(ODRL_22))
    assert rules == (
        Rule(
            "permission",
            "distribute",
            (
                Constraint("spatial", "isAnyOf", ("DE", "AT")),
                Constraint("dateTime", "lteq", datetime(2027, 1, 1, tzinfo=UTC)),
            ),
            "permission-0",
        ),
        Rule("duty", "attribute", (), "duty-0"),
        Rule("duty", "compensate", (), "duty-1"),
        Rule("prohibition", "commercialize", (), "prohibition-0"),
        Rule(
            "prohibition",
            "print",
            (Constraint("purpose", "eq", ("editorial",)),),
            "prohibition-1",
        ),
        Rule("duty", "inform", (), "duty-2"),
    )


def test_odrl_20_json_of_ninjs_reads_with_its_lowercase_keys() -> None:
    rules = read_encoded_rights(json.dumps(ODRL_20))
    assert rules == (
        Rule("permission", "reproduce", (Constraint("spatial", "eq", ("NO",)),), "permission-0"),
        Rule("duty", "attribute", (), "duty-0"),
        Rule("prohibition", "commercialize", (), "prohibition-0"),
    )


@pytest.mark.samples
@needs_samples
def test_ninjs_sample_encoded_rights_prohibit_commercial_use() -> None:
    path = SAMPLES / "ninjs" / "3.0" / "imageEncodedRights.json"
    if not path.is_file():
        pytest.skip(f"sample not found at {path}")
    encoded = json.loads(path.read_text())["rightsInfo"]["encodedRights"]
    assert read_encoded_rights(encoded) == (
        Rule("prohibition", "commercialize", (), "prohibition-0"),
    )


@pytest.mark.parametrize(
    ("text", "term", "pointer"),
    [
        ("{not json", "encoded rights", ""),
        ("[]", "encoded rights", ""),
        ('{"@type": "Set", "uid": "x"}', "a policy with no rules", ""),
        (
            '{"@type": "Request", "permission": [{"action": "use"}]}',
            "policy type 'Request'",
            "/@type",
        ),
        (
            '{"policytype": "http://www.w3.org/ns/odrl/2/Ticket", "permissions": []}',
            "policy type 'http://www.w3.org/ns/odrl/2/Ticket'",
            "/policytype",
        ),
        (
            '{"permission": [{"action": "odrl:transfer"}]}',
            "action 'odrl:transfer'",
            "/permission/0/action",
        ),
        ('{"permission": [{"target": "x"}]}', "a rule without an action", "/permission/0/action"),
        (
            '{"prohibition": [{"action": "use", "constraint": [{"and": []}]}]}',
            "logical constraint 'and'",
            "/prohibition/0/constraint/0",
        ),
        (
            '{"prohibition": [{"action": "use", "constraint": [{"leftOperand": "odrl:elapsedTime",'
            ' "operator": "lteq", "rightOperand": "P1D"}]}]}',
            "leftOperand 'elapsedTime'",
            "/prohibition/0/constraint/0/leftOperand",
        ),
        (
            '{"prohibitions": [{"action": "http://www.w3.org/ns/odrl/2/use", "constraints":'
            ' [{"name": "spatial", "operator": "eq", "rightoperand": "http://cvx.iptc.org/iso3166-1a3/XYZ"}]}]}',
            "spatial 'http://cvx.iptc.org/iso3166-1a3/XYZ'",
            "/prohibitions/0/constraints/0/rightoperand",
        ),
        (
            '{"permission": [{"action": "use", "constraint": [{"leftOperand": "purpose",'
            ' "operator": "eq", "rightOperand": "http://vocab.example/purpose/advertising"}]}]}',
            "purpose 'http://vocab.example/purpose/advertising'",
            "/permission/0/constraint/0/rightOperand",
        ),
        (
            '{"permission": [{"action": "use"}], "inheritFrom": "http://x.example/p"}',
            "policy-level 'inheritFrom'",
            "/inheritFrom",
        ),
    ],
)
def test_encoded_rights_name_the_first_term_not_understood(
    text: str, term: str, pointer: str
) -> None:
    with pytest.raises(Unintelligible) as raised:
        read_encoded_rights(text)
    assert (raised.value.term, raised.value.pointer) == (term, pointer)


# --- lint --------------------------------------------------------------------------------------


def test_a_sound_policy_has_no_constraint_problems() -> None:
    constraints = {
        "permissions": [EU_ONLY],
        "prohibitions": [UK_FIRST_30_DAYS],
        "territories": {"allow": ["DE", "FRA"], "deny": ["GB"]},
    }
    assert constraint_problems(constraints) == []


def test_lint_names_an_unknown_territory_code_and_where() -> None:
    problems = constraint_problems({"prohibitions": [rule("distribute", spatial("eq", "XX"))]})
    assert problems == [
        "constraints.prohibitions[0].constraint[0].rightOperand: "
        "'XX' is not an ISO 3166-1 alpha-2 or alpha-3 code"
    ]


def test_lint_accepts_alpha_3_codes() -> None:
    assert constraint_problems({"prohibitions": [rule("distribute", spatial("eq", "GBR"))]}) == []


@pytest.mark.parametrize(
    ("left", "value", "message"),
    [
        ("purpose", "advertising", "unknown purpose 'advertising' (known: editorial, commercial"),
        ("deliveryChannel", "fax", "unknown delivery channel 'fax' (known: web, print"),
    ],
)
def test_lint_names_an_unknown_purpose_or_channel(left: str, value: str, message: str) -> None:
    entry = rule("distribute", {"leftOperand": left, "operator": "eq", "rightOperand": value})
    [problem] = constraint_problems({"permissions": [entry]})
    assert problem.startswith("constraints.permissions[0].constraint[0].rightOperand: ")
    assert message in problem


@pytest.mark.parametrize(
    ("constraint", "message"),
    [
        (
            spatial("lt", "GB"),
            "operator 'lt' does not suit spatial (use eq, neq, isAnyOf, isNoneOf)",
        ),
        (
            {"leftOperand": "dateTime", "operator": "isAnyOf", "rightOperand": ["2026-01-01"]},
            "operator 'isAnyOf' does not suit dateTime (use lt, lteq, gt, gteq)",
        ),
    ],
)
def test_lint_names_an_operator_that_does_not_suit_its_operand(
    constraint: dict[str, Any], message: str
) -> None:
    problems = constraint_problems({"prohibitions": [rule("distribute", constraint)]})
    assert problems == [f"constraints.prohibitions[0].constraint[0].operator: {message}"]


@pytest.mark.parametrize(
    ("constraints", "why"),
    [
        ([spatial("eq", "GB"), spatial("neq", "GBR")], "no territory satisfies"),
        ([spatial("isAnyOf", ["DE"]), spatial("isNoneOf", ["DEU"])], "no territory satisfies"),
        ([spatial("eq", "GB"), spatial("eq", "FR")], "no territory satisfies"),
        (
            [
                {"leftOperand": "purpose", "operator": "eq", "rightOperand": "editorial"},
                {"leftOperand": "purpose", "operator": "isNoneOf", "rightOperand": ["editorial"]},
            ],
            "no use satisfies",
        ),
        (
            [
                {
                    "leftOperand": "dateTime",
                    "operator": "gteq",
                    "rightOperand": "2027-01-01T00:00Z",
                },
                {"leftOperand": "dateTime", "operator": "lt", "rightOperand": "2026-01-01T00:00Z"},
            ],
            "it starts at 2027-01-01T00:00:00+00:00 but ends at 2026-01-01T00:00:00+00:00",
        ),
        (
            [
                {
                    "leftOperand": "dateTime",
                    "operator": "gt",
                    "rightOperand": {"from": "published", "offset": "P30D"},
                },
                {
                    "leftOperand": "dateTime",
                    "operator": "lt",
                    "rightOperand": {"from": "published", "offset": "P2W"},
                },
            ],
            "it starts 30 days after publication but ends 14 days after publication",
        ),
    ],
)
def test_lint_finds_a_rule_whose_own_constraints_contradict(
    constraints: list[dict[str, Any]], why: str
) -> None:
    [problem] = constraint_problems({"prohibitions": [rule("distribute", *constraints)]})
    assert problem.startswith("constraints.prohibitions[0]: can never apply: ")
    assert why in problem


def test_lint_accepts_a_window_that_can_hold() -> None:
    window = [
        {"leftOperand": "dateTime", "operator": "gteq", "rightOperand": "2026-01-01T00:00Z"},
        {"leftOperand": "dateTime", "operator": "lt", "rightOperand": "2027-01-01T00:00Z"},
        spatial("isAnyOf", ["GB", "FR"]),
        spatial("neq", "FR"),
    ]
    assert constraint_problems({"permissions": [rule("distribute", *window)]}) == []


def test_lint_finds_an_unconstrained_prohibition_that_cancels_every_permission() -> None:
    constraints = {"permissions": [EU_ONLY], "prohibitions": [rule("odrl:use", id="none")]}
    assert constraint_problems(constraints) == [
        "constraints.prohibitions[0]: prohibits use with no constraints, which prohibits "
        "everything the permissions allow"
    ]


def test_an_unconstrained_prohibition_of_commercial_use_is_no_problem() -> None:
    constraints = {"permissions": [EU_ONLY], "prohibitions": [rule("commercialize", id="x")]}
    assert constraint_problems(constraints) == []


def test_lint_finds_a_prohibition_identical_to_a_permission() -> None:
    constraints = {
        "permissions": [rule("distribute", spatial("eq", "GB"), id="uk")],
        "prohibitions": [rule("distribute", spatial("eq", "GBR"), id="not-uk")],
    }
    assert constraint_problems(constraints) == [
        "constraints.prohibitions[0]: prohibits exactly what constraints.permissions[0] "
        "permits (the same action under the same constraints)"
    ]


def test_lint_finds_duplicate_rule_ids_across_permissions_and_prohibitions() -> None:
    constraints = {
        "permissions": [rule("distribute", spatial("eq", "FR"), id="same")],
        "prohibitions": [rule("commercialize", id="same")],
    }
    assert constraint_problems(constraints) == ["constraints: rule id 'same' is used 2 times"]


def test_lint_finds_a_territory_both_allowed_and_denied_and_unknown_codes() -> None:
    territories = {"allow": ["GBR", "FR", "QQ"], "deny": ["GB"]}
    assert constraint_problems({"territories": territories}) == [
        "constraints.territories.allow[2]: 'QQ' is not an ISO 3166-1 alpha-2 or alpha-3 code",
        "constraints.territories: GB ('GB', 'GBR') is both allowed and denied",
    ]


def test_lint_names_an_action_not_understood_and_never_raises_on_odd_shapes() -> None:
    constraints = {
        "permissions": [rule("odrl:sell"), "not a rule"],
        "prohibitions": {"not": "a list"},
        "territories": ["GB"],
    }
    assert constraint_problems(constraints) == [
        "constraints.permissions[0].action: action 'odrl:sell' is not understood",
        "constraints.permissions[1]: a rule is an object",
    ]


def test_lint_names_a_duty_not_understood() -> None:
    entry = rule("distribute", id="p", duty=[{"action": "attribute"}, {"action": "odrl:pay"}])
    assert constraint_problems({"permissions": [entry]}) == [
        "constraints.permissions[0].duty[1].action: action 'odrl:pay' is not understood"
    ]
