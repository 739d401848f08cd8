"""Table-driven tests of the constructions the engine handles, on sentences written for them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from briefings.engine import Engine, spans_verbatim
from briefings.models import Article, Kind
from briefings.quotes import find_quotes

if TYPE_CHECKING:
    from spacy.language import Language

CASES = [
    # (text, speaker mention, speaker_name, content starts with, kind)
    (
        "“We will not send soldiers to the front,” Chancellor Anna Berg said on Monday.",
        "Chancellor Anna Berg",
        "Anna Berg",
        "We will not send soldiers",
        Kind.DIRECT,
    ),
    (
        "Minister Paul Ortega said on Tuesday: “The border stays open. Trade must go on.”",
        "Minister Paul Ortega",
        "Paul Ortega",
        "The border stays open. Trade must go on",
        Kind.DIRECT,
    ),
    (
        "The finance ministry said that the budget would be balanced by next spring.",
        "The finance ministry",
        "the finance ministry",
        "that the budget would be balanced",
        Kind.INDIRECT,
    ),
    (
        "Prices will keep rising through the winter, according to the central bank.",
        "the central bank",
        "the central bank",
        "Prices will keep rising",
        Kind.INDIRECT,
    ),
    (
        "Senator Mary Lowe warned that the plan was “a recipe for disaster” for farmers.",
        "Senator Mary Lowe",
        "Mary Lowe",
        "that the plan was “a recipe for disaster”",
        Kind.MIXED,
    ),
    (
        "A union official, speaking anonymously, stressed that no strike had been called yet.",
        "A union official",
        "a union official",
        "that no strike had been called yet",
        Kind.INDIRECT,
    ),
    (
        "Defence Minister Olga Brandt warned of a long and costly stand-off at the border.",
        "Defence Minister Olga Brandt",
        "Olga Brandt",
        "a long and costly stand-off",
        Kind.INDIRECT,
    ),
    (
        "The harbour will close at noon, the port authority said in a statement.",
        "the port authority",
        "the port authority",
        "The harbour will close at noon",
        Kind.INDIRECT,
    ),
    (
        "“Is this really the best we can do for our nurses?” Senator Ravi Patel asked.",
        "Senator Ravi Patel",
        "Ravi Patel",
        "Is this really the best",
        Kind.DIRECT,
    ),
    (
        "“Not today,” Mayor Ines Cole said, and left the hall.",
        "Mayor Ines Cole",
        "Ines Cole",
        "Not today",
        Kind.DIRECT,
    ),
    (
        "Residents gave their views.\n“The new tram line has changed my whole week.” ― Lea Marsh",
        "Lea Marsh",
        "Lea Marsh",
        "The new tram line",
        Kind.DIRECT,
    ),
    (
        "Stalls reopened.\n”The market has never been this busy, honestly.” — Omar Said, a trader",
        "Omar Said",
        "Omar Said",
        "The market has never been",
        Kind.DIRECT,
    ),
    (
        "Governor Kate Lind told reporters that the dam was safe and “fully inspected.”",
        "Governor Kate Lind",
        "Kate Lind",
        "that the dam was safe and “fully inspected.”",
        Kind.MIXED,
    ),
    (
        "Councillor Nora Blake described the new parking rules as “a tax on shoppers.”",
        "Councillor Nora Blake",
        "Nora Blake",
        "the new parking rules as “a tax on shoppers.”",
        Kind.MIXED,
    ),
    (
        "The union leader likened the pay offer to an insult for every driver.",
        "The union leader",
        "the union leader",
        "the pay offer to an insult",
        Kind.INDIRECT,
    ),
]


@pytest.fixture(scope="module")
def engine(nlp: Language) -> Engine:
    return Engine(nlp)


@pytest.mark.parametrize(("text", "mention", "name", "content", "kind"), CASES)
def test_construction(
    engine: Engine, text: str, mention: str, name: str, content: str, kind: Kind
) -> None:
    statements = engine.extract(Article(text=text))
    assert len(statements) == 1, statements
    st = statements[0]
    assert st.speaker.text == mention
    assert st.speaker_name == name
    assert st.content.text.startswith(content)
    assert st.kind is kind
    assert spans_verbatim(text, statements)


def test_surname_and_pronoun_resolve_to_the_full_name(engine: Engine) -> None:
    text = (
        "Foreign Minister Lena Holm met her counterparts in Oslo.\n\n"
        "Holm said the talks had been useful.\n\n"
        "“We made progress on every point,” she said."
    )
    names = [s.speaker_name for s in engine.extract(Article(text=text))]
    assert names == ["Lena Holm", "Lena Holm"]


def test_split_quote_is_one_statement_with_both_parts(engine: Engine) -> None:
    text = "“The talks went well,” Mayor Tom Reyes said. “We meet again next week.”"
    (st,) = engine.extract(Article(text=text))
    assert [p.text for p in st.parts] == ["The talks went well", "We meet again next week"]
    assert st.words == "The talks went well … We meet again next week"


def test_reported_chain_names_the_speaker_not_the_outlet(engine: Engine) -> None:
    text = "“Nothing is decided yet,” Premier Joan Ruiz added, the Daily Courier reported."
    (st,) = engine.extract(Article(text=text))
    assert st.speaker_name == "Joan Ruiz"
    assert st.words == "Nothing is decided yet"


def test_a_reported_chain_inside_a_longer_sentence(engine: Engine) -> None:
    text = (
        "While the plan was not final, “nothing is decided yet and we keep talking,” "
        "Premier Joan Ruiz added, the Daily Courier reported."
    )
    statements = engine.extract(Article(text=text))
    assert [(s.speaker_name, s.words) for s in statements] == [
        ("Joan Ruiz", "nothing is decided yet and we keep talking")
    ]


def test_byline_is_never_a_speaker(engine: Engine) -> None:
    text = "The council said that the bridge would reopen in May.\n\nWritten by Sam Doe"
    names = [s.speaker_name for s in engine.extract(Article(text=text))]
    assert names == ["the council"]


def test_unbalanced_quote_loses_only_its_paragraph(engine: Engine) -> None:
    text = (
        "The mayor said “the budget is fine and then forgot to close it.\n\n"
        "“We will build the new school this year,” Governor Ada Moss said."
    )
    statements = engine.extract(Article(text=text))
    assert any(s.speaker_name == "Ada Moss" and s.kind is Kind.DIRECT for s in statements)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He said “yes please” twice.", [(8, 20)]),
        ("“Open and never closed", [(0, 22)]),
        ("A stray ” mark and “a real one”.", [(19, 31)]),
        ("No quotes at all.", []),
        ("”Turned the wrong way,” she said.", [(0, 23)]),
    ],
)
def test_find_quotes(text: str, expected: list[tuple[int, int]]) -> None:
    assert [(q.start, q.end) for q in find_quotes(text)] == expected


def test_a_line_break_ends_the_sentence(engine: Engine) -> None:
    """A lead-in line without a cue is not swallowed into the next line's quote."""
    text = (
        "The crowd was loud and the mood was tense:\n\n"
        "“We want the mill to stay open,” a worker named Jo Park said."
    )
    (st,) = engine.extract(Article(text=text))
    assert st.kind is Kind.DIRECT
    assert st.content.text == "We want the mill to stay open"


def test_dash_names_only_its_own_line(engine: Engine) -> None:
    text = (
        "Readers wrote in.\n"
        "“The bus is always late on Sundays.” ― Nia Brooks\n"
        "“I would pay more for a better service.” ― Carl Unger"
    )
    statements = engine.extract(Article(text=text))
    assert [(s.speaker_name, s.content.text) for s in statements] == [
        ("Nia Brooks", "The bus is always late on Sundays"),
        ("Carl Unger", "I would pay more for a better service"),
    ]


def test_an_attribution_reported_inside_another_belongs_to_the_outer_source(
    engine: Engine,
) -> None:
    text = (
        "Campaign spokeswoman Dana Reed said that the senator had called the mayor "
        "on Friday to thank her for the help she had given after the floods in the valley."
    )
    (st,) = engine.extract(Article(text=text))
    assert st.speaker_name == "Dana Reed"
    assert st.content.text.startswith("that the senator had called")


def test_calling_someone_without_a_description_is_no_statement(engine: Engine) -> None:
    assert engine.extract(Article(text="The minister called the ambassador on Sunday.")) == []


def test_an_inserted_said_reports_the_sentence_around_it(engine: Engine) -> None:
    text = "The new ferry, Harbour Master Eva Lund said, will carry twice as many cars."
    (st,) = engine.extract(Article(text=text))
    assert st.speaker_name == "Eva Lund"
    assert st.kind is Kind.INDIRECT
    assert [p.text for p in st.parts] == ["The new ferry", "will carry twice as many cars"]


@pytest.mark.parametrize(
    ("text", "speakers"),
    [
        # a transcript: the capitals label the speaker; the words are verbatim
        (
            'Transcript follows.\n\n"HOST: Will the plant close this year or not?\n\n'
            '"GOVERNOR: Not this year, and not while I am in office.',
            [("HOST", Kind.DIRECT), ("GOVERNOR", Kind.DIRECT)],
        ),
        # a headline that names its source before a colon
        (
            "Greta Lind: The harbour plan needs more money\n\nThe council met.",
            [("Greta Lind", Kind.INDIRECT)],
        ),
        # a topic before a colon is nobody's statement; nor is an update note
        ("Tax season: what the new rules mean for families\n\nUPDATE: times changed.", []),
    ],
)
def test_labels_before_a_colon(engine: Engine, text: str, speakers: list[tuple[str, Kind]]) -> None:
    statements = engine.extract(Article(text=text))
    assert [(s.speaker.text, s.kind) for s in statements] == speakers
    assert all(":" not in s.content.text[:12] for s in statements)


def test_a_paragraph_ending_in_a_colon_introduces_the_next_quote(engine: Engine) -> None:
    text = (
        "The statement was short.\n\nThe Harbour Board said:\n\n"
        '"The quay stays shut until the storm has passed."'
    )
    (st,) = engine.extract(Article(text=text))
    assert (st.speaker_name, st.kind) == ("the Harbour Board", Kind.DIRECT)
    assert st.content.text.startswith("The quay stays shut until the storm has passed")


def test_it_next_to_a_quote_is_the_organisation_named_before(engine: Engine) -> None:
    text = (
        "The central bank said that inflation would fall.\n\n"
        "“Rates will stay where they are for now,” it said in a statement."
    )
    statements = engine.extract(Article(text=text))
    assert [(s.speaker.text, s.speaker_name) for s in statements] == [
        ("The central bank", "the central bank"),
        ("it", "the central bank"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "LISBON (Harbour Wire) - The fisheries minister said that the quotas would rise.",
        "By Sam Doe, Harbour Wire\n\nThe fisheries minister said that the quotas would rise.",
        "LISBON, May 4 — The fisheries minister said that the quotas would rise.",
    ],
)
def test_bylines_and_datelines_are_never_speakers(engine: Engine, text: str) -> None:
    statements = engine.extract(Article(text=text))
    assert [s.speaker_name for s in statements] == ["the fisheries minister"]


def test_a_quote_first_speaker_whose_subject_the_parse_lost(engine: Engine) -> None:
    """A quoted show title after the verb can take the subject's place in the parse."""
    text = (
        "“The port is ready. The cranes are new and the crews are trained and our harbour,” "
        "Moreno, a senior harbour official, said Monday morning on Channel Five’s “Harbour "
        "and Docks.”"
    )
    statements = engine.extract(Article(text=text))
    assert [(s.speaker.text, s.kind) for s in statements][:1] == [("Moreno", Kind.DIRECT)]
    assert statements[0].content.text.startswith("The port is ready")


def test_a_second_speech_verb_joined_to_the_reported_clause_is_its_own_statement(
    engine: Engine,
) -> None:
    text = "The port minister said the border would reopen and urged traders to be patient."
    statements = engine.extract(Article(text=text))
    assert [(s.speaker_name, s.cue and s.cue.text, s.content.text) for s in statements] == [
        ("the port minister", "said", "the border would reopen"),
        ("the port minister", "urged", "traders to be patient"),
    ]


@pytest.mark.parametrize(
    ("text", "name", "content"),
    [
        (
            "The harbour minister was quoted as saying that the quay would reopen in June.",
            "the harbour minister",
            "that the quay would reopen in June",
        ),
        (
            "The Evening Courier quoted an aide to the mayor as saying the tram plan was dead.",
            "an aide",
            "the tram plan was dead",
        ),
        (
            "“We will never sign this treaty,” the envoy was quoted as saying.",
            "the envoy",
            "We will never sign this treaty",
        ),
    ],
)
def test_quoted_as_saying_names_who_was_quoted_not_the_outlet(
    engine: Engine, text: str, name: str, content: str
) -> None:
    statements = engine.extract(Article(text=text))
    assert [(s.speaker_name, s.content.text) for s in statements] == [(name, content)]


def test_it_said_is_the_body_named_before(engine: Engine) -> None:
    text = (
        "The trade ministry published its monthly figures on Friday. "
        "It said exports had fallen for a third month."
    )
    statements = engine.extract(Article(text=text))
    assert [(s.speaker.text, s.speaker_name) for s in statements] == [("It", "the trade ministry")]


def test_it_shows_is_no_statement(engine: Engine) -> None:
    text = "The survey was published on Monday. It shows that most farmers expect a poor harvest."
    assert engine.extract(Article(text=text)) == []


def test_who_said_names_the_antecedent_with_its_title(engine: Engine) -> None:
    text = (
        "The strike ended after talks with the union's chief negotiator, "
        "who said the deal was fair."
    )
    statements = engine.extract(Article(text=text))
    assert [(s.speaker.text, s.speaker_name) for s in statements] == [
        ("who", "the union's chief negotiator")
    ]


@pytest.mark.parametrize(
    ("text", "name", "content"),
    [
        (
            "According to conservative radio host Tom Bell, the plan reeks of favoritism.",
            "Tom Bell",
            "the plan reeks of favoritism",
        ),
        (
            "According to Ana Ruiz, a senior banker, the loan is ready.",
            "Ana Ruiz",
            "the loan is ready",
        ),
    ],
)
def test_according_to_reports_the_words_beside_the_source(
    engine: Engine, text: str, name: str, content: str
) -> None:
    statements = engine.extract(Article(text=text))
    assert [(s.speaker_name, s.content.text) for s in statements] == [(name, content)]


def test_an_unnamed_source_inside_reported_words_does_not_take_them(engine: Engine) -> None:
    text = (
        "The senator said videos show the guards lied about everything that happened "
        "on the night of the riot."
    )
    statements = engine.extract(Article(text=text))
    assert [s.speaker_name for s in statements] == ["the senator"]


def test_a_dateline_date_does_not_hide_the_subject(engine: Engine) -> None:
    text = "OSLO, May 2 - The Finance Ministry warned on Tuesday that the krone was too strong."
    statements = engine.extract(Article(text=text))
    assert [s.speaker_name for s in statements] == ["the Finance Ministry"]


def test_a_split_quote_content_runs_to_its_last_piece(engine: Engine) -> None:
    text = "“The talks went well,” Mayor Tom Reyes said. “We meet again next week.”"
    (st,) = engine.extract(Article(text=text))
    assert st.content.text.startswith("The talks went well")
    assert st.content.text.endswith("We meet again next week")


@pytest.mark.parametrize(
    ("text", "cue", "content"),
    [
        (
            "The governor refused to pledge to cut the fuel tax before the vote.",
            "refused to pledge",
            "to cut the fuel tax before the vote",
        ),
        (
            "The mayor has denied knowing that the contracts were rigged.",
            "denied knowing",
            "that the contracts were rigged",
        ),
        (
            "The prosecutor isn't saying if the council broke any laws.",
            "isn't saying",
            "if the council broke any laws",
        ),
    ],
)
def test_a_refusal_or_negation_stays_in_the_cue(
    engine: Engine, text: str, cue: str, content: str
) -> None:
    statements = engine.extract(Article(text=text))
    assert [(s.cue.text if s.cue else None, s.content.text) for s in statements] == [(cue, content)]


def test_declining_to_comment_is_no_statement(engine: Engine) -> None:
    assert engine.extract(Article(text="The harbour minister declined to comment.")) == []


def test_a_writers_although_clause_is_not_the_speakers(engine: Engine) -> None:
    text = (
        "The senator claimed that the tax plan was fair, although he again refused to "
        "pledge to publish his own returns."
    )
    statements = engine.extract(Article(text=text))
    assert [(s.cue.text if s.cue else None, s.content.text) for s in statements] == [
        ("claimed", "that the tax plan was fair"),
        ("refused to pledge", "to publish his own returns"),
    ]


@pytest.mark.parametrize(
    ("text", "name", "content"),
    [
        (
            "As Ms. Varga put it in a statement in July, the channel offers a view you "
            "will not get elsewhere.",
            "Varga",
            "the channel offers a view you will not get elsewhere",
        ),
        (
            "Tax adviser Ron Ellis doubts the plan.\n\nSaid Ellis: “I don't see any interest "
            "in reform.”",
            "Ron Ellis",
            "I don't see any interest in reform",
        ),
    ],
)
def test_the_cue_before_the_source(engine: Engine, text: str, name: str, content: str) -> None:
    statements = engine.extract(Article(text=text))
    assert (name, content) in [(s.speaker_name, s.content.text) for s in statements]


def test_as_expected_is_no_source(engine: Engine) -> None:
    assert engine.extract(Article(text="As expected, the harbour bank raised its rates.")) == []


@pytest.mark.parametrize(
    ("text", "content"),
    [
        # the parse hangs the second half of the reported words on the verb
        (
            "The envoy said they were optimistic a compromise deal could be reached next week.",
            "they were optimistic a compromise deal could be reached next week",
        ),
        # wire copy's day after the verb: the subject reads as the day's apposition
        (
            "Trade Minister Ana Ruiz said Monday the United States, as the largest "
            "shareholder of the fund, should have more say in approving loans.",
            "the United States, as the largest shareholder of the fund, should have more say",
        ),
        # the reported clause's subject taken for the verb's object
        (
            "Tom Bell, a builder, said many of the projects that critics point to as "
            "failures were delayed by the weather.",
            "many of the projects that critics point to as failures were delayed",
        ),
    ],
)
def test_reported_words_the_parse_splits_are_read_whole(
    engine: Engine, text: str, content: str
) -> None:
    statements = engine.extract(Article(text=text))
    assert len(statements) == 1, statements
    assert statements[0].content.text.startswith(content)


@pytest.mark.parametrize(
    ("text", "speaker", "content"),
    [
        (
            "The poll indicates a tightening race as the governor gains support in the north.",
            "The poll",
            "a tightening race as the governor gains support",
        ),
        (
            "The state average shows the mayor ahead by four points in the cities.",
            "The state average",
            "the mayor ahead by four points",
        ),
    ],
)
def test_a_polls_finding_is_what_it_says(
    engine: Engine, text: str, speaker: str, content: str
) -> None:
    statements = engine.extract(Article(text=text))
    assert [(s.speaker.text, s.content.text[: len(content)]) for s in statements] == [
        (speaker, content)
    ]


def test_a_person_who_shows_something_says_nothing(engine: Engine) -> None:
    assert engine.extract(Article(text="The guide showed the visitors the old harbour.")) == []


@pytest.mark.parametrize(
    ("text", "name", "content"),
    [
        (
            "The analysts said the rally was sparked by Finance Minister Ana Ruiz, who said "
            "yesterday that rates would fall before the summer.",
            "Ana Ruiz",
            "that rates would fall before the summer",
        ),
        (
            "Some analysts noted friction between the ministry and the bank, with Finance "
            "Minister Paul Ortega having said before the cut he favoured lower rates.",
            "Paul Ortega",
            "he favoured lower rates",
        ),
    ],
)
def test_a_named_persons_words_told_in_passing_are_theirs(
    engine: Engine, text: str, name: str, content: str
) -> None:
    statements = engine.extract(Article(text=text))
    assert (name, content) in [(s.speaker_name, s.content.text) for s in statements]


def test_one_of_a_group_named_in_apposition_is_the_speaker(engine: Engine) -> None:
    text = "In a statement, one of the family's lawyers, Ana Ruiz, said the video was clear."
    statements = engine.extract(Article(text=text))
    assert [s.speaker_name for s in statements] == ["Ana Ruiz"]


@pytest.mark.parametrize(
    ("text", "content"),
    [
        (
            "He attacked his rivals for accepting donations, which he said were "
            "accompanied by favours.",
            "were accompanied by favours",
        ),
        (
            "Officials said that after the success of the sale the government had decided "
            "to speed up its program.",
            "after the success of the sale the government had decided",
        ),
    ],
)
def test_reported_words_the_parse_hangs_elsewhere(engine: Engine, text: str, content: str) -> None:
    statements = engine.extract(Article(text=text))
    assert any(s.content.text.startswith(content) for s in statements), statements


def test_a_quote_after_narration_that_names_no_one_else_carries_on_the_speech(
    engine: Engine,
) -> None:
    text = (
        "“Subpoenas are not optional,” committee chairman Tom Hale said after the witness "
        "failed to appear at the second hearing. “The witness is a crucial part of this "
        "inquiry.”\n\n"
        "“Do I think the phrase matters? No,” said Ana Ruiz. “These groups claim to speak for "
        "the faith.”"
    )
    statements = engine.extract(Article(text=text))
    by_name = {s.speaker_name: s for s in statements}
    assert "crucial part of this inquiry" in by_name["Tom Hale"].words
    assert "Do I think" not in by_name["Tom Hale"].words
    assert "claim to speak for the faith" in by_name["Ana Ruiz"].words


def test_a_quote_after_someone_else_speaks_is_not_the_first_speakers(engine: Engine) -> None:
    text = (
        "“We will not pay,” Ana Ruiz said after the vote. Paul Ortega said the bill was "
        "fair. “It is a good bill for the country.”"
    )
    statements = engine.extract(Article(text=text))
    ruiz = next(s for s in statements if s.speaker_name == "Ana Ruiz")
    assert "good bill" not in ruiz.words


def test_calling_on_someone_to_act_reports_whom_and_what(engine: Engine) -> None:
    text = "Senator Ana Ruiz called on the president to retaliate against the hackers."
    statements = engine.extract(Article(text=text))
    assert [(s.speaker_name, s.cue.text if s.cue else "", s.content.text) for s in statements] == [
        ("Ana Ruiz", "called on", "the president to retaliate against the hackers")
    ]


def test_ruling_out_any_such_move_rules_out_the_rumour_before_it(engine: Engine) -> None:
    text = (
        "The report sparked speculation the bank was preparing to cut rates, but the finance "
        "ministry immediately ruled out any such move."
    )
    statements = engine.extract(Article(text=text))
    assert [(s.speaker_name, s.cue.text if s.cue else "", s.content.text) for s in statements] == [
        ("the finance ministry", "ruled out", "the bank was preparing to cut rates")
    ]
