"""Licence rules judged against one republication: rejected, held until a date, or cleared."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from clearance.decide.findings import Severity
from clearance.decide.rights import Circumstances, Judgement, judge
from clearance.terms.encodedrights import read_encoded_rights
from clearance.terms.odrl import Constraint, RelativeTime, Rule

PUBLISHED = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
AP = "Associated Press's licence"

UK_FIRST_30_DAYS = Rule(
    "prohibition",
    "distribute",
    (
        Constraint("spatial", "eq", ("GB",)),
        Constraint("dateTime", "lt", RelativeTime("published", timedelta(days=30))),
    ),
    "uk-first-30-days",
    "not in the UK for 30 days from publication",
)


def circumstances(
    territory: str = "GB",
    *,
    day: float = 10,
    use: str = "editorial",
    channel: str = "web",
    published: datetime | None = PUBLISHED,
    modified: bool = False,
) -> Circumstances:
    """A republication `day` days after the article's publication."""
    return Circumstances(
        territory, use, channel, PUBLISHED + timedelta(days=day), published, modified
    )


def judged(rules: list[Rule], at: Circumstances, who: str = AP) -> Judgement:
    return judge(rules, at, rule_prefix="constraint", pointer="/constraints", who=who)


def severities(judgement: Judgement) -> list[tuple[str, Severity]]:
    return [(finding.rule_id, finding.severity) for finding in judgement.findings]


# --- a prohibition for a time ------------------------------------------------------------------


def test_uk_hold_back_holds_gb_at_day_10_until_publication_plus_30_days() -> None:
    # Given a prohibition on distribution in GB for 30 days from publication
    # When a GB licensee republishes 10 days after publication
    judgement = judged([UK_FIRST_30_DAYS], circumstances("GB", day=10))
    # Then the article is held, to be released 30 days after publication
    [finding] = judgement.findings
    assert finding.rule_id == "constraint.uk-first-30-days"
    assert finding.pointer == "/constraints"
    assert finding.severity is Severity.MAJOR
    assert judgement.release_at == PUBLISHED + timedelta(days=30)
    assert finding.message.startswith(
        "not licensed in GB until 2026-12-30T09:00:00+00:00 "
        "(not in the UK for 30 days from publication): under Associated Press's licence, "
        "distribution in GB before 2026-12-30T09:00:00+00:00 (30 days after publication) "
        "is prohibited"
    )


def test_uk_hold_back_clears_gb_at_day_31() -> None:
    judgement = judged([UK_FIRST_30_DAYS], circumstances("GB", day=31))
    assert judgement == Judgement((), None)


def test_uk_hold_back_clears_fr_at_day_10() -> None:
    judgement = judged([UK_FIRST_30_DAYS], circumstances("FR", day=10))
    assert judgement == Judgement((), None)


def test_a_prohibition_until_an_inclusive_bound_lifts_just_after_it() -> None:
    until = datetime(2026, 12, 24, 23, 59, 59, tzinfo=UTC)
    rule = Rule("prohibition", "use", (Constraint("dateTime", "lteq", until),), "xmas")
    held = judged([rule], circumstances(day=5))
    assert severities(held) == [("constraint.xmas", Severity.MAJOR)]
    assert held.release_at is not None
    assert until < held.release_at <= until + timedelta(seconds=1)
    assert judged([rule], replace(circumstances(), now=held.release_at)).findings == ()


def test_a_prohibition_with_no_end_in_time_rejects() -> None:
    # Given a territory prohibition with no time limit, described by the policy
    rule = Rule(
        "prohibition",
        "distribute",
        (Constraint("spatial", "isAnyOf", ("TR", "IR")),),
        "ed-note",
        "TURKEY OUT",
    )
    # When a licensee in Türkiye republishes
    judgement = judged([rule], circumstances("TR"))
    # Then it is rejected, naming the territory and the description
    [finding] = judgement.findings
    assert finding.severity is Severity.CRITICAL
    assert judgement.release_at is None
    assert finding.message == (
        "not licensed in TR (TURKEY OUT): under Associated Press's licence, "
        "distribution in TR or IR is prohibited"
    )


def test_a_prohibition_that_starts_later_does_not_apply_yet() -> None:
    after = Constraint("dateTime", "gt", PUBLISHED + timedelta(days=90))
    rule = Rule("prohibition", "distribute", (after,), "licence-ends")
    assert judged([rule], circumstances(day=10)).findings == ()
    assert severities(judged([rule], circumstances(day=91))) == [
        ("constraint.licence-ends", Severity.CRITICAL)
    ]


# --- commercial use ----------------------------------------------------------------------------

NO_COMMERCIAL = Rule("prohibition", "commercialize", (), "prohibition-0")


def test_commercialize_prohibition_rejects_commercial_use() -> None:
    judgement = judge(
        [NO_COMMERCIAL],
        circumstances(use="commercial"),
        rule_prefix="rights",
        pointer="/rights_info/encoded_rights",
        who="the item's own rights (ODRL)",
    )
    [finding] = judgement.findings
    assert (finding.rule_id, finding.severity) == ("rights.prohibition-0", Severity.CRITICAL)
    assert finding.pointer == "/rights_info/encoded_rights"
    assert finding.message == (
        "not licensed for commercial use: under the item's own rights (ODRL), commercial use "
        "is prohibited"
    )


def test_commercialize_prohibition_leaves_editorial_use_alone() -> None:
    assert judged([NO_COMMERCIAL], circumstances(use="editorial")).findings == ()


def test_modification_prohibited_only_when_the_copy_is_modified() -> None:
    rule = Rule("prohibition", "modify", (), "no-changes", "verbatim only")
    assert judged([rule], circumstances(modified=False)).findings == ()
    [finding] = judged([rule], circumstances(modified=True)).findings
    assert finding.severity is Severity.CRITICAL
    assert "in a modified form" in finding.message


# --- permissions -------------------------------------------------------------------------------

EU_ONLY = Rule(
    "permission",
    "distribute",
    (Constraint("spatial", "isAnyOf", ("DE", "FR")),),
    "eu-only",
    "EU only",
)


def test_a_permission_that_holds_clears() -> None:
    assert judged([EU_ONLY], circumstances("FR")) == Judgement((), None)


def test_no_permission_that_holds_rejects_and_says_what_is_permitted() -> None:
    judgement = judged([EU_ONLY], circumstances("US"))
    [finding] = judgement.findings
    assert (finding.rule_id, finding.severity) == ("constraint.eu-only", Severity.CRITICAL)
    assert finding.message == (
        "not licensed in US: under Associated Press's licence, only distribution in DE or FR "
        "(EU only) is permitted"
    )


def test_any_one_of_several_permissions_is_enough() -> None:
    web = Rule("permission", "display", (Constraint("deliveryChannel", "eq", ("web",)),), "web")
    rules = [EU_ONLY, web]
    assert judged(rules, circumstances("US", channel="web")).findings == ()
    [finding] = judged(rules, circumstances("US", channel="print")).findings
    assert finding.rule_id == "constraint.permissions"
    assert finding.message == (
        "not licensed in US via print: under Associated Press's licence, only distribution "
        "in DE or FR (EU only); or display via web is permitted"
    )


def test_a_permission_window_not_yet_open_holds_until_it_opens() -> None:
    # Given permissions that open at a fixed time and 2 days after publication
    opens = datetime(2026, 12, 20, tzinfo=UTC)
    later = Rule("permission", "distribute", (Constraint("dateTime", "gteq", opens),), "later")
    sooner = Rule(
        "permission",
        "use",
        (Constraint("dateTime", "gt", RelativeTime("published", timedelta(days=2))),),
        "sooner",
    )
    # When the article is republished a day after publication
    judgement = judged([later, sooner], circumstances(day=1))
    # Then it is held until the earlier window opens
    [finding] = judgement.findings
    assert (finding.rule_id, finding.severity) == ("constraint.sooner", Severity.MAJOR)
    assert judgement.release_at == PUBLISHED + timedelta(days=2, microseconds=1)
    assert "until 2026-12-02T09:00:00.000001+00:00" in finding.message
    # And clears once it has
    assert judged([later, sooner], circumstances(day=3)).findings == ()


def test_a_permission_window_that_has_closed_rejects() -> None:
    ended = Rule(
        "permission",
        "distribute",
        (Constraint("dateTime", "lt", RelativeTime("published", timedelta(days=7))),),
        "first-week",
        "first week only",
    )
    judgement = judged([ended], circumstances(day=10))
    assert severities(judgement) == [("constraint.first-week", Severity.CRITICAL)]
    assert judgement.release_at is None


def test_a_window_that_opens_for_another_territory_only_still_rejects() -> None:
    rule = Rule(
        "permission",
        "distribute",
        (
            Constraint("spatial", "eq", ("DE",)),
            Constraint("dateTime", "gteq", PUBLISHED + timedelta(days=30)),
        ),
        "de-later",
    )
    judgement = judged([rule], circumstances("GB", day=1))
    assert severities(judgement) == [("constraint.de-later", Severity.CRITICAL)]
    assert judgement.release_at is None


def test_a_channel_permission_does_not_cover_other_channels() -> None:
    # Given permission to print only
    print_only = Rule("permission", "print", (), "print-only", "print editions")
    # Then print is cleared and the web is not licensed
    assert judged([print_only], circumstances(channel="print")).findings == ()
    [finding] = judged([print_only], circumstances(channel="web")).findings
    assert finding.severity is Severity.CRITICAL
    assert finding.message == (
        "not licensed via web: under Associated Press's licence, only printing "
        "(print editions) is permitted"
    )


def test_a_channel_prohibition_applies_to_that_channel_only() -> None:
    no_social = Rule(
        "prohibition", "distribute", (Constraint("deliveryChannel", "eq", ("social",)),), "social"
    )
    no_broadcast = Rule("prohibition", "play", (), "no-broadcast")
    rules = [no_social, no_broadcast]
    assert judged(rules, circumstances(channel="web")).findings == ()
    assert severities(judged(rules, circumstances(channel="social"))) == [
        ("constraint.social", Severity.CRITICAL)
    ]
    assert severities(judged(rules, circumstances(channel="broadcast"))) == [
        ("constraint.no-broadcast", Severity.CRITICAL)
    ]


def test_permissions_for_commercial_use_alone_do_not_limit_republication() -> None:
    commercial = Rule("permission", "commercialize", (Constraint("spatial", "eq", ("US",)),), "c")
    assert judged([commercial], circumstances("GB")).findings == ()


# --- duties ------------------------------------------------------------------------------------


def test_attribution_duty_is_left_to_the_policy_notices() -> None:
    assert judged([Rule("duty", "attribute", (), "duty-0")], circumstances()).findings == ()


@pytest.mark.parametrize("action", ["inform", "compensate"])
def test_a_duty_clearance_cannot_fulfil_is_held_for_a_person(action: str) -> None:
    judgement = judge(
        [Rule("duty", action, (), "duty-0")],
        circumstances(),
        rule_prefix="rights",
        pointer="/rights_info",
        who="the item's own rights (ODRL)",
    )
    [finding] = judgement.findings
    assert (finding.rule_id, finding.severity) == ("rights.duty-0", Severity.MAJOR)
    assert finding.message == (
        f"under the item's own rights (ODRL), there is a duty to {action}, which clearance "
        "cannot fulfil; a person must review it"
    )
    assert judgement.release_at is None


def test_a_duty_whose_constraints_do_not_hold_is_not_imposed() -> None:
    rule = Rule("duty", "compensate", (Constraint("purpose", "eq", ("commercial",)),), "pay")
    assert judged([rule], circumstances(use="editorial")).findings == ()
    assert severities(judged([rule], circumstances(use="commercial"))) == [
        ("constraint.pay", Severity.MAJOR)
    ]


# --- what cannot be evaluated ------------------------------------------------------------------


def test_a_time_counted_from_an_unknown_publication_date_is_held() -> None:
    judgement = judged([UK_FIRST_30_DAYS], circumstances("GB", published=None))
    [finding] = judgement.findings
    assert (finding.rule_id, finding.severity) == ("constraint.uk-first-30-days", Severity.MAJOR)
    assert judgement.release_at is None
    assert "no publication date" in finding.message
    assert "distribution in GB within 30 days of publication is prohibited" in finding.message


def test_an_unknown_publication_date_does_not_matter_where_the_rule_cannot_apply() -> None:
    assert judged([UK_FIRST_30_DAYS], circumstances("FR", published=None)).findings == ()


def test_a_permission_counted_from_an_unknown_publication_date_is_held() -> None:
    rule = Rule(
        "permission",
        "distribute",
        (Constraint("dateTime", "lt", RelativeTime("published", timedelta(days=7))),),
        "first-week",
    )
    judgement = judged([rule], circumstances(published=None))
    assert severities(judgement) == [("constraint.first-week", Severity.MAJOR)]
    assert judgement.release_at is None


# --- several findings together -----------------------------------------------------------------


def test_release_is_the_latest_time_bound_hold_and_findings_are_sorted() -> None:
    # Given a 30-day UK hold-back, a 40-day hold on everything and a duty to inform
    everything = Rule(
        "prohibition",
        "use",
        (Constraint("dateTime", "lt", RelativeTime("published", timedelta(days=40))),),
        "a-first-40-days",
    )
    inform = Rule("duty", "inform", (), "z-inform")
    # When judged in GB on day 10
    judgement = judged([UK_FIRST_30_DAYS, inform, everything], circumstances("GB"))
    # Then the holds lift 40 days after publication, and the findings come in rule id order
    assert judgement.release_at == PUBLISHED + timedelta(days=40)
    assert severities(judgement) == [
        ("constraint.a-first-40-days", Severity.MAJOR),
        ("constraint.uk-first-30-days", Severity.MAJOR),
        ("constraint.z-inform", Severity.MAJOR),
    ]


def test_encoded_rights_judged_end_to_end() -> None:
    # Given ninjs rights in the ODRL 2.0 encoding: reproduce in Norway, never commercially
    rules = read_encoded_rights(
        '{"policytype": "http://www.w3.org/ns/odrl/2/Agreement",'
        ' "permissions": [{"action": "http://www.w3.org/ns/odrl/2/reproduce", "constraints":'
        ' [{"name": "spatial", "operator": "eq", "rightoperand": "NOR"}]}],'
        ' "prohibitions": [{"action": "http://www.w3.org/ns/odrl/2/commercialize"}]}'
    )
    who = "the item's own rights (ODRL)"

    def outcome(territory: str, use: str) -> list[tuple[str, Severity]]:
        at = circumstances(territory, use=use)
        return severities(judge(rules, at, rule_prefix="rights", pointer="/rights", who=who))

    assert outcome("NO", "editorial") == []
    assert outcome("NO", "commercial") == [("rights.prohibition-0", Severity.CRITICAL)]
    assert outcome("SE", "editorial") == [("rights.permission-0", Severity.CRITICAL)]
