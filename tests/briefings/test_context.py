"""Who speaks, for whom, and what they did: rules read from the article itself.

Each case is a short article written here (invented people, real places and parties),
with what a reader must see: the speaker, the actor, the role at the article's date,
the cue of a denial, and what must never be a statement.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from briefings.brief import article_brief
from briefings.engine import Engine
from briefings.models import Article, Bullet, Statement
from briefings.quotes import find_quotes
from briefings.render import bullet_line

if TYPE_CHECKING:
    from spacy.language import Language


@pytest.fixture(scope="module")
def engine(nlp: Language) -> Engine:
    return Engine(nlp)


def said(engine: Engine, text: str, when: datetime | None = None) -> list[Statement]:
    title = text.split("\n", 1)[0]
    return engine.extract(Article(text=text, title=title, published=when))


def bullets(engine: Engine, text: str) -> list[Bullet]:
    """The digest's bullets of an article whose first line is its headline."""
    article = Article(text=text, title=text.split("\n", 1)[0])
    return list(article_brief(article, engine.extract(article)).bullets)


def by_words(statements: list[Statement], words: str) -> Statement:
    found = [st for st in statements if words in st.words]
    assert found, f"no statement holds {words!r}: {[st.words for st in statements]}"
    return found[0]


def test_a_pronoun_goes_to_the_nearest_person_who_agrees(engine: Engine) -> None:
    text = (
        "Harbour plan divides the council\n\n"
        "Councillor Tomas Reyes spoke first at the meeting on the harbour plan.\n\n"
        "Maria Lindqvist, the harbour director, arrived late. She had flown in from the coast.\n\n"
        "“We cannot dredge the channel before the storms come,” she said."
    )
    statement = by_words(said(engine, text), "dredge the channel")
    assert statement.speaker_name == "Maria Lindqvist"


def test_the_name_in_apposition_is_the_speaker(engine: Engine) -> None:
    text = "Oil output\n\nNorway's Oil Minister, Per Haugland, said output would rise next year."
    statement = by_words(said(engine, text), "output would rise")
    assert statement.speaker_name == "Per Haugland"
    assert statement.actor is not None and statement.actor.id == "NO"


def test_a_dateline_gives_officials_named_without_a_country_their_country(
    engine: Engine,
) -> None:
    text = (
        "Budget cuts ahead\n\n"
        "BONN, March 3 - A Finance Ministry spokesman said the budget would be cut by two "
        "billion marks next year."
    )
    statement = by_words(said(engine, text), "budget would be cut")
    assert statement.actor is not None and statement.actor.id == "DE"
    assert statement.actor.evidence.startswith("context: dateline")


def test_a_story_about_one_country_gives_its_officials_that_country(engine: Engine) -> None:
    text = (
        "Yen talks stall\n\n"
        "Japanese exporters have lost ground as the yen rose against the dollar, and Tokyo "
        "wants a slower climb.\n\n"
        "Japan's trade surplus fell for a third month.\n\n"
        "Trade ministry officials said they would meet bankers next week."
    )
    statement = by_words(said(engine, text), "meet bankers")
    assert statement.actor is not None and statement.actor.id == "JP"
    assert statement.actor.evidence.startswith("context:")


def test_experts_and_companies_get_no_country_from_context(engine: Engine) -> None:
    text = (
        "Yen talks stall\n\n"
        "BONN, March 3 - West German exporters lost ground again.\n\n"
        "A bank economist said the mark would keep rising through the summer."
    )
    statement = by_words(said(engine, text), "mark would keep rising")
    assert statement.actor is None


def test_a_party_member_carries_the_party_and_its_country(engine: Engine) -> None:
    text = "Farm bill\n\nRepublican Senator Jim Harlan said that the farm bill would fail."
    statement = by_words(said(engine, text), "farm bill would fail")
    assert statement.party is not None and statement.party.id == "US-REP"
    assert statement.actor is not None and statement.actor.id == "US"


def test_a_state_is_not_the_island_it_is_named_after(engine: Engine) -> None:
    text = "Bridge money\n\nNew Jersey Gov. Anna Brill said the bridge money had arrived."
    statement = by_words(said(engine, text), "bridge money had arrived")
    assert statement.actor is not None and statement.actor.id == "US"


def test_roles_come_from_the_article_at_its_date_never_from_later_facts(engine: Engine) -> None:
    text = (
        "Debate night\n\n"
        "Republican presidential nominee Donald Trump said the debate had been rigged."
    )
    dated = by_words(said(engine, text, datetime(2016, 9, 27, tzinfo=UTC)), "rigged")
    assert dated.role is not None and "nominee" in dated.role.lower()
    assert "President" not in (dated.role or "").split()
    undated = by_words(said(engine, "Tax returns\n\nDonald Trump said he would wait."), "wait")
    assert undated.role is None  # no date, no office from the facts
    assert undated.actor is not None and undated.actor.id == "US"


def test_a_bare_title_is_the_person_the_article_gave_it(engine: Engine) -> None:
    text = (
        "Debt talks\n\n"
        "Central Bank president Marco Ferreira said Brazil would keep paying its debts.\n\n"
        "The Central Bank president said he would travel to Washington next week."
    )
    statement = by_words(said(engine, text), "travel to Washington")
    assert statement.speaker_name == "Marco Ferreira"


def test_a_denial_keeps_its_cue_in_the_bullet(engine: Engine) -> None:
    text = (
        "Quota row\n\n"
        "Energy Minister Jan Novak of Poland denied that his country was producing over its "
        "quota."
    )
    (bullet,) = bullets(engine, text)
    line = bullet_line(bullet)
    assert "denied" in line
    assert line.startswith("• Jan Novak (Poland")
    assert ": that" not in line


def test_a_byline_is_no_statement(engine: Engine) -> None:
    text = (
        "Council votes\n\n"
        "The council approved the budget on Tuesday, Mayor Ines Cole said.\n\n"
        "Tomas Berglund reports for the Riverside Gazette."
    )
    assert [st.speaker_name for st in said(engine, text)] == ["Ines Cole"]


def test_a_headline_may_name_the_speaker_but_is_no_bullet(engine: Engine) -> None:
    text = (
        "Novak: we will not resign over the quota\n\n"
        "Energy Minister Jan Novak of Poland said the quota dispute would be settled in court."
    )
    shown = bullets(engine, text)
    assert [b.speaker_name for b in shown] == ["Jan Novak"]
    assert all("resign" not in bullet_line(b) for b in shown)


def test_typewriter_quotation_marks_close_the_quote(engine: Engine) -> None:
    text = (
        "Bridge\n\n"
        "``We will rebuild the bridge by spring,'' Mayor Ines Cole said on Monday. The "
        "council met later and approved the budget for the works."
    )
    (quote,) = find_quotes(text)
    assert text[quote.start : quote.end].endswith("spring,''")
    statement = by_words(said(engine, text), "rebuild the bridge")
    assert statement.content.text == "We will rebuild the bridge by spring"
    assert statement.speaker_name == "Ines Cole"


def test_two_senators_are_two_bullets(engine: Engine) -> None:
    text = (
        "Visa program\n\n"
        "Senator Ruth Calder said the visa program needed new limits.\n\n"
        "Senator Owen Pike said the program should end next year."
    )
    assert sorted(b.speaker_name for b in bullets(engine, text)) == ["Owen Pike", "Ruth Calder"]


def test_unresolved_pronouns_stay_in_extract_but_out_of_bullets(engine: Engine) -> None:
    text = "Storm\n\nThey said the storm would reach the coast by night."
    assert said(engine, text)
    assert bullets(engine, text) == []


def test_a_document_speaks_for_whoever_sent_it(engine: Engine) -> None:
    text = (
        "Council condemns launch\n\n"
        "The Security Council said in a statement on Friday that the launch broke earlier "
        "resolutions. The statement said members would meet again next week."
    )
    statement = by_words(said(engine, text), "meet again next week")
    assert statement.speaker_name == "the Security Council"
    assert statement.actor is not None and statement.actor.id == "UN"


def test_a_legislators_party_tag_gives_party_and_country(engine: Engine) -> None:
    text = (
        "Bank hearing\n\n"
        "Sen. Walter Brandt (D-Mont.) questioned the bank's chief on Tuesday.\n\n"
        "“You broke the trust of your customers,” Brandt said."
    )
    statement = by_words(said(engine, text), "broke the trust")
    assert statement.party is not None and statement.party.id == "US-DEM"
    assert statement.actor is not None and statement.actor.id == "US"


def test_a_bare_office_is_the_person_who_spoke_just_before(engine: Engine) -> None:
    text = (
        "Debate advice\n\n"
        "Harold Fenwick told reporters that the debate would decide the race.\n\n"
        "The Vermont senator said the candidates should talk about wages."
    )
    statement = by_words(said(engine, text), "talk about wages")
    assert statement.speaker_name == "Harold Fenwick"


def test_a_given_name_tells_whom_she_means(engine: Engine) -> None:
    text = (
        "Port strike\n\n"
        "Union leader Thomas Brandl met Port Director Susan Achterberg on Monday.\n\n"
        "“The port will stay open through the strike,” she said."
    )
    statement = by_words(said(engine, text), "port will stay open")
    assert statement.speaker_name == "Susan Achterberg"


def test_a_companys_spokesman_speaks_for_no_country(engine: Engine) -> None:
    text = (
        "Crash inquiry\n\n"
        "OSAKA, May 4 - Japanese investigators blamed faulty repairs for the crash.\n\n"
        "A Norvane Aircraft spokesman said the company would wait for the final report.\n\n"
        "A Transport Ministry official said the report would be published in June."
    )
    statements = said(engine, text)
    company = by_words(statements, "wait for the final report")
    ministry = by_words(statements, "published in June")
    assert company.actor is None
    assert ministry.actor is not None and ministry.actor.id == "JP"


def test_a_dateline_city_is_not_the_country_of_the_title_after_it(engine: Engine) -> None:
    text = (
        "Peace talks\n\n"
        "WASHINGTON - Egyptian Foreign Minister Amr Saleh said he had made progress "
        "in talks on a peace conference."
    )
    statement = by_words(said(engine, text), "made progress")
    assert statement.actor is not None and statement.actor.id == "EG"


def test_a_title_run_with_lower_case_words_gives_the_role_and_country(engine: Engine) -> None:
    text = (
        "Smelter deal\n\n"
        "“The venture opens markets we could not reach alone,” Victoria state treasurer "
        "Rob Kettle said."
    )
    statement = by_words(said(engine, text), "opens markets")
    assert statement.speaker_name == "Rob Kettle"
    assert statement.actor is not None and statement.actor.id == "AU"
    assert statement.role == "State Treasurer"


def test_a_person_the_recogniser_ran_into_a_company_name(engine: Engine) -> None:
    text = (
        "Gold tax\n\n"
        "A new tax could drive trading abroad, the Tokyo branch manager of Credit Suisse "
        "Paul Hofmann told a press conference.\n\n"
        "“Tokyo dealers could be out of business,” he said."
    )
    statement = by_words(said(engine, text), "out of business")
    assert statement.speaker_name == "Paul Hofmann"


def test_a_surname_the_tagger_reads_as_an_adjective_is_still_the_person(engine: Engine) -> None:
    text = (
        "Bank visit\n\n"
        "World Bank President Barber Conable is expected to press Jakarta for reforms, "
        "western diplomats said.\n\n"
        "Conable, who flew in from Tokyo, will meet ministers.\n\n"
        "“The economy is being very well managed,” Conable told reporters at the airport."
    )
    statement = by_words(said(engine, text), "very well managed")
    assert statement.speaker_name == "Barber Conable"
    assert statement.actor is not None and statement.actor.id == "WORLDBANK"


def test_words_quoted_inside_anothers_statement_are_their_speakers_too(engine: Engine) -> None:
    text = (
        "Army row\n\n"
        "Retired Gen. Tom Mills said Paul Grant was “absolutely right” when he said on "
        "Wednesday that under the last government, “the army has been reduced to rubble.”"
    )
    statements = said(engine, text)
    assert [st.speaker_name for st in statements] == ["Tom Mills", "Paul Grant"]
    assert "reduced to rubble" in statements[1].words


def test_he_is_the_subject_the_story_is_about_not_a_name_in_passing(engine: Engine) -> None:
    text = (
        "Campaign trail\n\n"
        "By the time the debates began, Paul Grant led the polls, needling rivals such as "
        "Tom Reyes and Sam Ortiz. Grant never missed a chance to remind the audience that "
        "he paid for his own campaign. He claimed great wealth and said it kept him free of "
        "donors."
    )
    statement = by_words(said(engine, text), "free of donors")
    assert statement.speaker_name == "Paul Grant"


def test_one_named_among_a_group_speaks_for_it(engine: Engine) -> None:
    text = (
        "Loan talks\n\n"
        "Some delegates including Chilean Finance Minister Ana Ruiz said they were "
        "optimistic a compromise could be reached."
    )
    statement = by_words(said(engine, text), "optimistic")
    assert statement.speaker_name == "Ana Ruiz"
    assert statement.actor is not None and statement.actor.id == "CL"


def test_what_was_announced_leads_the_content(engine: Engine) -> None:
    text = (
        "Jobs plan\n\n"
        "The government announced a plan to cut long-term unemployment amid talk among "
        "analysts that it wants to spend more."
    )
    statement = by_words(said(engine, text), "cut long-term unemployment")
    assert statement.content.text.startswith("a plan to cut long-term unemployment")


def test_declining_to_be_specific_is_no_statement(engine: Engine) -> None:
    text = "Bank view\n\nThe senior bank official declined to be more specific."
    assert said(engine, text) == []


def test_sources_close_to_a_minister_are_the_sources_and_keep_that_name(engine: Engine) -> None:
    text = (
        "Budget plans\n\n"
        "PARIS, March 3 - The government will not spend more this year, sources close to "
        "finance minister Paul Lemaire said.\n\n"
        "The sources said rising debt ruled out a boost."
    )
    statements = said(engine, text)
    first = by_words(statements, "spend more")
    second = by_words(statements, "rising debt")
    assert first.speaker_name == "sources close to finance minister Paul Lemaire"
    assert second.speaker_name == first.speaker_name
    assert second.actor is not None and second.actor.id == "FR"


def test_people_the_facts_know_tell_whose_story_it_is(engine: Engine) -> None:
    text = (
        "Debate night\n\n"
        "Hillary Clinton and Donald Trump meet on stage on Monday, and Hillary Clinton has "
        "asked the moderator to check facts. Donald Trump says Hillary Clinton fears him.\n\n"
        "Her campaign manager, Robin Hale, said the moderator should call out false claims."
    )
    statement = by_words(said(engine, text), "call out false claims")
    assert statement.actor is not None and statement.actor.id == "US"


def test_a_negated_cue_is_kept_and_a_deciding_office_leads_a_spokesman(engine: Engine) -> None:
    text = (
        "Harbour inquiry\n\n"
        "Harbour spokesman Tom Field said the berths were safe. Field said the cranes were "
        "new. Field said the crews were trained.\n\n"
        "Transport Secretary Anna Berg said the inquiry would report in May.\n\n"
        "Attorney General Mark Ode isn't saying if the harbour board broke any laws."
    )
    found = bullets(engine, text)
    names = [b.speaker_name for b in found]
    assert names.index("Anna Berg") < names.index("Tom Field")
    assert names.index("Mark Ode") < names.index("Tom Field")
    ode = found[names.index("Mark Ode")]
    assert "isn't saying" in bullet_line(ode)


def test_a_surname_that_is_also_a_title_stays_in_the_name(engine: Engine) -> None:
    text = (
        "Talk show\n\n"
        "WASHINGTON - Talk show host Larry King said the channel had given him freedom.\n\n"
        "“Nobody told me what to ask,” King said."
    )
    statements = said(engine, text)
    assert [st.speaker_name for st in statements] == ["Larry King", "Larry King"]
    # "King" is his name, not an office: a host speaks for no country
    assert [(st.actor, st.role) for st in statements] == [(None, None), (None, None)]


def test_whoever_carries_the_article_gets_the_pieces_the_others_do_not_use(
    engine: Engine,
) -> None:
    lines = [
        "Port reform divides the city\n",
        "Harbour director Maria Lindqvist said the port would close its old docks.",
        "Lindqvist said the new terminal would open in the spring.",
        "She said the city would pay for half of the dredging.",
        "She said the ferries would keep running through the works.",
        "She said the fishermen would get a quay of their own.",
        "She said the rail link would be finished by the summer.",
        "She said the old warehouses would become housing.",
        "Councillor Tomas Reyes said the plan was too costly.",
        "Union leader Ines Cole said the dockers had not been consulted.",
    ]
    shown = bullets(engine, "\n\n".join(lines))
    director = next(b for b in shown if b.speaker_name == "Maria Lindqvist")
    # seven different things said; the other two speakers have one each
    assert 1 + len(director.also) == 7
    assert {b.speaker_name for b in shown} >= {"Tomas Reyes", "Ines Cole"}


def test_the_judge_of_the_lead_is_the_judge_named_later(engine: Engine) -> None:
    text = (
        "Court keeps mayor's files sealed\n\n"
        "A Boston judge on Friday rejected a request to open the mayor's old tax files, "
        "saying the courts had no business judging what voters should know.\n\n"
        "Superior Court Justice Helen Marsh wrote that the files were private.\n\n"
        "Another judge said last year that such files should be public."
    )
    statements = said(engine, text)
    assert by_words(statements, "no business judging").speaker_name == "Helen Marsh"
    assert by_words(statements, "such files should be public").speaker_name != "Helen Marsh"


def test_the_gop_nominee_is_the_republican_nominee(engine: Engine) -> None:
    text = (
        "Nominee attacks the debate rules\n\n"
        "Republican presidential nominee Tom Baker said the rules favoured his rival.\n\n"
        "Democratic presidential nominee Ann Lee said the rules were fair to both.\n\n"
        "The GOP nominee said the moderators had been unfair."
    )
    statement = by_words(said(engine, text), "moderators had been unfair")
    assert statement.speaker_name == "Tom Baker"


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("Ann Cole, a Republican tax consultant, said the plan would cost billions.", "cost"),
        (
            "Paul Grant, a senior fellow at a research institution and a former ambassador "
            "to Moscow, said the sanctions had failed.",
            "sanctions had failed",
        ),
    ],
)
def test_experts_and_former_officials_speak_for_no_country(
    engine: Engine, line: str, words: str
) -> None:
    text = "Tax plan\n\nWASHINGTON - The Treasury Secretary defended the plan.\n\n" + line
    statement = by_words(said(engine, text), words)
    assert statement.actor is None


def test_a_companys_statement_speaks_for_the_company_not_the_country(engine: Engine) -> None:
    text = (
        "Crash inquiry\n\n"
        "OSAKA, May 4 - Japanese investigators blamed faulty repairs by Norvane Co.\n\n"
        "Norvane issued a statement after the crash.\n\n"
        "The statement said the repairs had been checked twice."
    )
    statement = by_words(said(engine, text), "checked twice")
    assert statement.speaker_name == "Norvane"
    assert statement.actor is None


def test_a_spokeswoman_for_someone_else_is_not_the_one_named_before(engine: Engine) -> None:
    text = (
        "Campaign row\n\n"
        "Campaign spokeswoman Jessica Hale said the campaign would defend itself.\n\n"
        "A spokeswoman for the rival candidate said the attack was a lie."
    )
    statement = by_words(said(engine, text), "attack was a lie")
    assert statement.speaker_name != "Jessica Hale"


def test_a_leader_the_facts_know_leads_before_unnamed_groups(engine: Engine) -> None:
    text = (
        "Europe weighs defence plans\n\n"
        "Other E.U. leaders proposed jointly owned drones for the armies of the bloc.\n\n"
        "Central European leaders warned that the bloc would lose its defence capability.\n\n"
        "Some E.U. officials said the plan would take years to build.\n\n"
        "Baltic leaders said the plan came too late for their region.\n\n"
        "Nordic leaders said the plan needed a budget of its own.\n\n"
        "Southern European leaders said the plan was too costly for them.\n\n"
        "Eastern European leaders said the plan must include air defence.\n\n"
        "Western European leaders said the plan would be ready by March.\n\n"
        "Donald Trump said he would not defend allies that do not pay."
    )
    shown = [b.speaker_name for b in bullets(engine, text)]
    assert "Donald Trump" in shown
    assert shown.index("Donald Trump") == 0


def test_an_apposition_gives_its_own_country_not_the_one_after_it(engine: Engine) -> None:
    text = (
        "Missile test\n\n"
        "SEOUL - North Korea tested a missile on Friday.\n\n"
        "Anne Morel, the foreign minister of France, a permanent member of the Security "
        "Council, said the test could not go unanswered."
    )
    statement = by_words(said(engine, text), "could not go unanswered")
    assert statement.actor is not None and statement.actor.id == "FR"


def test_a_state_speaking_in_its_own_name_and_a_poll_make_the_digest(engine: Engine) -> None:
    names = ("Anne Morel", "Jon Berg", "Ana Ruiz", "Tom Hale", "Eva Lind", "Paul Ortega")
    lines = ["Missile test alarms the coast\n"]
    lines += [f"{name}, a local resident, said the test was frightening." for name in names]
    lines += [
        "Mark Dunn, a fisherman, said the boats stayed in port.",
        "Ines Cole, a teacher, said the children were scared.",
        "China said it was resolutely opposed to the test.",
        "A new poll shows most voters want new sanctions.",
    ]
    shown = [b.speaker_name for b in bullets(engine, "\n\n".join(lines))]
    assert "China" in shown
    assert any("poll" in name for name in shown)


def test_a_nonpartisan_body_speaks_for_no_country(engine: Engine) -> None:
    text = (
        "Debate sound\n\n"
        "WASHINGTON - The debate was marred by sound problems.\n\n"
        "The nonpartisan Commission said there had been issues with the audio."
    )
    statement = by_words(said(engine, text), "issues with the audio")
    assert statement.actor is None


def test_what_the_first_mention_says_about_a_person_holds_for_the_later_ones(
    engine: Engine,
) -> None:
    text = (
        "Port strike\n\n"
        "LISBON, May 4 - Dock workers stopped work at every port on Monday.\n\n"
        "A spokesman at the dockworkers' strike headquarters, Rui Tavares, told reporters "
        "that nine ports were closed.\n\n"
        "Tavares said the strike would go on until Friday."
    )
    statements = said(engine, text)
    assert by_words(statements, "nine ports were closed").actor is None
    assert by_words(statements, "go on until Friday").actor is None


def test_a_former_minister_speaks_for_no_country_but_a_known_candidate_still_does(
    engine: Engine,
) -> None:
    text = (
        "Trade threats\n\n"
        "Luis Ortega, a former Peruvian foreign minister who is a critic of the government, "
        "said the tariffs would hurt both sides.\n\n"
        "Former Secretary of State Hillary Clinton said the tariffs were a mistake."
    )
    statements = said(engine, text, datetime(2016, 9, 28, tzinfo=UTC))
    assert by_words(statements, "hurt both sides").actor is None
    clinton = by_words(statements, "were a mistake")
    assert clinton.actor is not None and clinton.actor.id == "US"


def test_a_retired_general_at_a_foundation_speaks_for_no_country(engine: Engine) -> None:
    text = (
        "Defence plans\n\n"
        "WASHINGTON - The United States urged its allies to spend more on defence.\n\n"
        "“The borders have simply evaporated,” said Jo Marten, a retired Belgian general who "
        "works on defence policy at a Brussels foundation."
    )
    statement = by_words(said(engine, text), "borders have simply evaporated")
    assert statement.actor is None


def test_a_surname_with_a_particle_at_the_head_of_a_sentence_is_the_same_person(
    engine: Engine,
) -> None:
    text = (
        "Blast in the city\n\n"
        "Mayor Anna van Dijk said the blast was intentional.\n\n"
        "Van Dijk said there was no link to terrorism."
    )
    statement = by_words(said(engine, text), "no link to terrorism")
    assert statement.speaker_name == "Anna van Dijk"


def test_an_empty_name_completes_to_itself(nlp: Language) -> None:
    from briefings.speakers import PersonIndex

    doc = nlp("Mayor Anna van Dijk spoke first.")
    index = PersonIndex(doc, [False] * (len(doc.text) + 1), lambda name: None)
    assert index.full_name("") == ""
    assert index.full_name("Van Dijk") == "Anna van Dijk"


def test_a_poll_that_names_itself_is_not_the_unnamed_poll_before(engine: Engine) -> None:
    text = (
        "Race tightens\n\n"
        "A new poll shows the race has tightened after the debate.\n\n"
        "The latest Harbour/Lind opinion poll shows the mayor ahead by four points.\n\n"
        "The Daily Ledger tracking poll showed the governor ahead by two points."
    )
    statements = said(engine, text)
    assert "Harbour/Lind" in by_words(statements, "ahead by four points").speaker_name
    assert "Daily Ledger" in by_words(statements, "ahead by two points").speaker_name
