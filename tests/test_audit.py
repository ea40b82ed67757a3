"""Privacy audit and redaction: planted texts, metadata, the real transcripts, policy errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qikg.errors import ParseError
from qikg.kg.audit import Finding, Policy, audit, default_policy, load_policy, redact

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
TRANSCRIPTS = CORPUS / "transcripts"
S = "https://w3id.org/qikg/cote2024"
FOAF_NAME = "http://xmlns.com/foaf/0.1/name"
TITLE = "http://purl.org/dc/terms/title"
TEXT = "https://w3id.org/qikg/ontology#text"


@pytest.fixture(scope="module")
def policy() -> Policy:
    return default_policy()


def kinds(findings: list[Finding]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in findings:
        out.setdefault(f.kind, []).append(f.match)
    return out


# ---- planted text


PLANTED = (
    "Interviewee: You can write to me at jane.doe@example.com or call +1 514 555 0199, "
    "(514) 555-0199 or 514.555.0199; my page is https://janedoe.example.net/~jane. "
    "Rached asked about the POST requests."
)


def test_planted_text_is_flagged(policy: Policy) -> None:
    findings = audit([("planted.txt:1", PLANTED)], policy)
    found = kinds(findings)
    assert found["email"] == ["jane.doe@example.com"]
    assert found["phone"] == ["+1 514 555 0199", "(514) 555-0199", "514.555.0199"]
    assert found["url"] == ["https://janedoe.example.net/~jane"]
    assert found["name"] == ["Rached"]  # not "PO" inside "POST"
    status = {f.match: f.status for f in findings}
    assert status["Rached"] == "redacted"
    assert status["jane.doe@example.com"] == status["https://janedoe.example.net/~jane"] == "open"
    for f in findings:
        assert f.start is not None and PLANTED[f.start : f.start + len(f.match)] == f.match
        assert f.location == "planted.txt:1"


@pytest.mark.parametrize(
    "number",
    [
        "+1 514 555 0199",
        "+1-514-555-0199",
        "(514) 555-0199",
        "514-555-0199",
        "514.555.0199",
        "5145550199",
        "+33 6 12 34 56 78",
        "06 12 34 56 78",
        "+44 20 7946 0958",
    ],
)
def test_phone_spellings(policy: Policy, number: str) -> None:
    findings = audit([("x", f"Call me on {number}, please.")], policy)
    assert [(f.kind, f.match) for f in findings] == [("phone", number)]


@pytest.mark.parametrize(
    "text",
    [
        "somewhere between 2006 and 2012 it's whatever",
        "always very close to 1.998 1.001. So that",
        "about 10 000 000 000 rows",
        "in 2006 2012 2015 we did it",
        "accuracy of 90%, printed 2023-06-04",
        "doi:10.1007/s10664-024-10536-7",
    ],
)
def test_numbers_that_are_not_phones(policy: Policy, text: str) -> None:
    assert [f for f in audit([("x", text)], policy) if f.kind == "phone"] == []


def test_spoken_email_and_bare_domain(policy: Policy) -> None:
    found = kinds(audit([("x", "it's jane at gmail dot com, or see janedoe.me/cv.")], policy))
    assert found == {"email": ["jane at gmail dot com"], "url": ["janedoe.me/cv"]}


def test_url_allow_list(policy: Policy) -> None:
    text = (
        "See https://doi.org/10.1007/s10664-024-10536-7, the tool https://app.delvetool.com/"
        "transcripts/123/print and (<http://www.delvetool.com>), the data https://w3id.org/qikg/x "
        "but not https://doi.org/10.1000/other or https://github.com/someone."
    )
    status = {f.match: f.status for f in audit([("x", text)], policy) if f.kind == "url"}
    assert status == {
        "https://doi.org/10.1007/s10664-024-10536-7": "accepted",
        "https://app.delvetool.com/transcripts/123/print": "accepted",
        "http://www.delvetool.com": "accepted",
        "https://w3id.org/qikg/x": "accepted",
        "https://doi.org/10.1000/other": "open",
        "https://github.com/someone": "open",
    }


def test_short_names_only_as_whole_words(policy: Policy) -> None:
    text = (
        "The POST call, a PO box? APO, Polo, po, examining vitamin Amine, Aminata; "
        "du côté business, des PO en interne, Côte-des-Neiges, pierres."
    )
    assert audit([("x", text)], policy) == [
        Finding("x", "name", "PO", "redacted", text.index("PO box"))
    ]
    assert redact(text, policy) == (
        text.replace("PO box", "[Researcher] box"),
        [("PO", "[Researcher]")],
    )
    assert kinds(audit([("x", "Amin, PO and M. Côté.")], policy))["name"] == ["Amin", "PO", "Côté"]


# ---- metadata is accepted, speech is not


def test_accepted_metadata(policy: Policy) -> None:
    citation = default_citation()
    texts = [
        (f"{S}/researcher/amin {FOAF_NAME}", "Amin"),
        (f"{S}/researcher/po {FOAF_NAME}", "PO"),
        (f"{S}/interview/3/moderation-amin {TITLE}", "Interview 3 - Amin"),
        (f"{S}/interview/32/transcript {TITLE}", "Interview 32 - PO"),
        (
            f"{S}/interview/3/moderation-amin https://w3id.org/qikg/ontology#sourceFile",
            "Interview 3 - Amin.txt",
        ),
        (f"{S} http://purl.org/dc/terms/bibliographicCitation", citation),
    ]
    findings = audit(texts, policy)
    assert len(findings) == 5 + 7  # one name each, then P.-O. and the six authors' surnames
    assert {f.status for f in findings} == {"accepted"}
    # the same names in speech are not accepted
    speech = [
        (f"{S}/interview/3/moderation-amin/turn/5/1 {TEXT}", "Thanks Amin."),
        (
            f"{S}/interview/3/moderation-amin/excerpt/5.1 https://w3id.org/qikg/ontology#quote",
            "PO said",
        ),
        (f"{S}/researcher/amin {TEXT}", "my page is https://someone.example.org"),
    ]
    assert [f.status for f in audit(speech, policy)] == ["redacted", "redacted", "open"]


def default_citation() -> str:
    return (
        'P.-O. Côté, A. Nikanjam, R. Bouchoucha, I. Basta, M. Abidi, F. Khomh, "Quality issues '
        'in machine learning software systems", Empirical Software Engineering 29(6), 2024.'
    )


# ---- redaction


def test_redact_replaces_exactly_the_names(policy: Policy) -> None:
    text = (
        "so me it's Pierre olivier, I am a master student at Poly Montreal under the supervision "
        "of Foutse. We work with PO and Rached in SWAT lab; POST requests and Amine stay."
    )
    out, pairs = redact(text, policy)
    assert out == (
        "so me it's [Researcher], I am a master student at [University] under the supervision "
        "of [Researcher]. We work with [Researcher] and [Researcher] in [Lab]; POST requests and "
        "Amine stay."
    )
    assert pairs == [
        ("Pierre olivier", "[Researcher]"),
        ("Poly Montreal", "[University]"),
        ("Foutse", "[Researcher]"),
        ("PO", "[Researcher]"),
        ("Rached", "[Researcher]"),
        ("SWAT lab", "[Lab]"),
    ]
    assert redact("nothing to see", policy) == ("nothing to see", [])


def test_longest_match_wins_and_replacement_is_literal() -> None:
    policy = load_policy(
        "[redact]\n'Jane' = 'X'\n'Jane Doe' = '[P\\1]'\n'(?-i:JD)' = 'Y'\n", "p.toml"
    )
    assert redact("Jane Doe, jane, JD, jd.", policy) == (
        "[P\\1], X, Y, jd.",
        [("Jane Doe", "[P\\1]"), ("jane", "X"), ("JD", "Y")],
    )


# ---- the real transcripts

# Found by grep in ../shared/corpus/transcripts/Interview 7.txt, lines 10-12: the interviewers
# introduce themselves (Pierre-Olivier, Amin, Rached), their supervisor (Foutse), their
# university (Poly, Polytechnique Montréal) and lab (SWAT).
INTERVIEW_7_NAMES = {
    "Pierre olivier",
    "Amin",
    "amin",
    "foutse",
    "Foutse",
    "Poly",
    "poly",
    "PO",
    "Rached",
    "SWAT",
}
# Elsewhere: Interview 14 "Professor Putz and Amin", "Poly Technical"; 15 "Rashad"; 16 "Thanks
# PIerre"; 30 "Polytechnic"; 31 "something, Amin?".
OTHER_NAMES = {
    "Interview 14.txt": {"Putz", "Amin", "Poly"},
    "Interview 15.txt": {"Rashad"},
    "Interview 16.txt": {"PIerre"},
    "Interview 30.txt": {"Polytechnic"},
    "Interview 31.txt": {"Amin"},
}


def transcript_lines() -> list[tuple[str, str]]:
    if not TRANSCRIPTS.is_dir():
        pytest.skip("../shared/corpus/transcripts is not beside the project")
    return [
        (f"{path.name}:{number}", line)
        for path in sorted(TRANSCRIPTS.glob("*.txt"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
    ]


def test_real_transcripts_name_the_team(policy: Policy) -> None:
    findings = audit(transcript_lines(), policy)
    by_file: dict[str, set[str]] = {}
    for f in findings:
        assert f.kind == "name"  # no e-mail, phone or URL in the transcripts
        assert f.status == "redacted"  # every name found is covered by a redaction rule
        by_file.setdefault(f.location.split(":")[0], set()).add(f.match)
    assert by_file["Interview 7.txt"] == INTERVIEW_7_NAMES
    assert {k: v for k, v in by_file.items() if k != "Interview 7.txt"} == OTHER_NAMES
    interview_7 = [f for f in findings if f.location.startswith("Interview 7.txt:")]
    assert {f.location for f in interview_7} == {
        "Interview 7.txt:10",
        "Interview 7.txt:11",
        "Interview 7.txt:12",
    }


def test_real_transcripts_after_redaction(policy: Policy) -> None:
    lines = transcript_lines()
    redacted = [(location, redact(text, policy)[0]) for location, text in lines]
    assert audit(redacted, policy) == []
    seven = "\n".join(t for loc, t in redacted if loc.startswith("Interview 7.txt:"))
    for name in INTERVIEW_7_NAMES:
        assert f" {name} " not in seven and f" {name}," not in seven
    assert "supervision of  [Researcher] in and also a [Researcher]." in seven
    assert "I'm in [Lab] and the supervision of [Researcher]" in seven
    # French "des PO" (product owners) in Interview 2 is ordinary language, left alone
    two = [t for loc, t in redacted if loc.startswith("Interview 2.txt:")]
    assert any("des PO en interne" in t for t in two)


# ---- policy files


def test_shipped_policy_loads(policy: Policy) -> None:
    assert policy.source == "privacy.toml"
    assert {d.name for d in policy.deny} >= {
        "Amin",
        "PO",
        "Rached",
        "Ilan",
        "Mouna",
        "Côté",
        "Khomh",
    }
    assert len(policy.accept) == 2 and policy.redact and policy.url_allow


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('[deny]\nnames = ["Amin"]\nthis is not toml\n', 3, "not valid TOML"),
        (
            "[url]\nallow = [\"w3id.org\"]\n\n[[accept]]\nmatch = 'x'\nwere = 'y'\n",
            6,
            "unknown key 'were'",
        ),
        ("[deny]\nnames = ['Amin']\nordinary = ['(unclosed']\n", 3, "bad regex"),
        ("# policy\n[redact]\n'Amin' = '[R]'\n'Ra(ched' = '[R]'\n", 4, "bad regex"),
        ("[redact]\n'Amin' = 3\n", 2, "must be a string"),
        ("[[accept]]\nmatch = 'a'\n\n[[accept]]\nwhy = 'no rule'\n", 4, "needs match or where"),
        ("[[accept]]\nkind = 'person'\nmatch = 'a'\n", 2, "kind must be one of"),
        ("[deny]\nnames = [{ name = 'PO', case = true }]\n", 2, "neither a name"),
        ("\n[allow]\nurls = []\n", 2, "unknown table or key 'allow'"),
        ("[patterns]\nphone = '[0-9'\n", 2, "bad regex"),
        ("[url]\nallow = 'w3id.org'\n", 2, "list of non-empty strings"),
        ("[redact]\n'Amin' = 'R'\n'x*' = 'y'\n", 3, "matches the empty string"),
        ("[redact]\n'(?P<a>x)' = 'y'\n'(?P<a>z)' = 'y'\n", 1, "do not combine"),
    ],
)
def test_bad_policy_raises_parse_error_naming_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(ParseError) as info:
        load_policy(text, "bad.toml")
    assert info.value.file == "bad.toml"
    assert info.value.line == line
    assert words in info.value.message
    assert f"bad.toml, line {line}: " in str(info.value)


# ---- property: any text audits and redacts without error, findings point into the text


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=12),
            st.sampled_from(
                [
                    "Amin",
                    "PO",
                    "des PO",
                    "Pierre-Olivier",
                    "514-555-0199",
                    "a@b.co",
                    "www.x.com",
                    " ",
                    ".",
                ]
            ),
        ),
        max_size=20,
    )
)
def test_any_text_audits_and_redacts(parts: list[str]) -> None:
    policy = default_policy()
    text = "".join(parts)
    for f in audit([("x", text)], policy):
        assert f.kind in {"email", "phone", "url", "name"}
        assert f.status in {"accepted", "redacted", "open"}
        assert f.start is not None and text[f.start : f.start + len(f.match)] == f.match
    out, pairs = redact(text, policy)
    assert len(out) == len(text) + sum(len(r) - len(o) for o, r in pairs)
