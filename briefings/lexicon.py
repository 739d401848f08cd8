"""Word lists the extraction reads: reporting verbs by their inflected forms.

The lemmatizer is not loaded (it would cost time on every token), so each verb is
expanded to its forms here once, at import.
"""

from __future__ import annotations

# Verbs whose clausal complement is reported speech or a stated position.
SPEECH_VERBS = [
    "say",
    "tell",
    "add",
    "note",
    "write",
    "argue",
    "warn",
    "claim",
    "state",
    "insist",
    "explain",
    "acknowledge",
    "announce",
    "declare",
    "suggest",
    "ask",
    "answer",
    "reply",
    "respond",
    "counter",
    "recall",
    "allege",
    "maintain",
    "observe",
    "conclude",
    "estimate",
    "find",
    "show",
    "reveal",
    "indicate",
    "hint",
    "complain",
    "caution",
    "agree",
    "contend",
    "charge",
    "assert",
    "disclose",
    "mention",
    "confirm",
    "deny",
    "stress",
    "emphasize",
    "emphasise",
    "underscore",
    "underline",
    "point",
    "concede",
    "admit",
    "predict",
    "urge",
    "promise",
    "vow",
    "pledge",
    "tweet",
    "post",
    "report",
    "testify",
    "assure",
    "reiterate",
    "repeat",
    "comment",
    "remark",
    "propose",
    "recommend",
    "demand",
    "vow",
    "threaten",
    "boast",
    "brag",
    "lament",
    "acknowledge",
    "signal",
    "affirm",
    "contend",
    "retort",
    "explain",
    "speculate",
    "guess",
    "reckon",
    "believe",
    "think",
    "feel",
    "fear",
    "hope",
    "expect",
    "doubt",
    "worry",
    "know",
    "contend",
    "order",
    "rule",
    "decide",
    "determine",
    "conclude",
    "judge",
    "accuse",
    "blame",
    "praise",
    "criticize",
    "criticise",
    "call",
    "urge",
    "question",
    "wonder",
    "add",
    "continue",
    "predict",
    "forecast",
    "project",
    "calculate",
    "figure",
    "cite",
    "quote",
    "inform",
    "advise",
    "announce",
    "caution",
    "clarify",
    "highlight",
    "stress",
    "reassure",
    "remind",
    "admit",
    "confess",
    "convince",
    "complain",
    "protest",
    "object",
    "muse",
    "joke",
    "quip",
    "exclaim",
    "shout",
    "yell",
    "scream",
    "whisper",
    "mutter",
    "murmur",
    "posit",
    "opine",
    "proclaim",
    "profess",
    "aver",
    "attest",
    "swear",
    "guarantee",
    "certify",
    "specify",
    "stipulate",
]

# Verbs that take their content as a noun phrase object ("acknowledged disunity").
OBJECT_VERBS = [
    "acknowledge",
    "deny",
    "dismiss",
    "reject",
    "criticize",
    "criticise",
    "condemn",
    "denounce",
    "welcome",
    "praise",
    "hail",
    "demand",
    "urge",
    "propose",
    "announce",
    "confirm",
    "defend",
    "support",
    "oppose",
    "back",
    "endorse",
    "blast",
    "slam",
    "attack",
    "decry",
    "lament",
    "question",
    "dispute",
    "rule",
    "downplay",
    "cite",
    "pledge",
    "promise",
    "vow",
    "threaten",
]

# Verbs that say what someone or something is: "described X as Y", "called X Y",
# "likened X to Y". The object and its description together are the content.
DESCRIBE_VERBS = [
    "describe",
    "characterize",
    "characterise",
    "portray",
    "depict",
    "label",
    "brand",
    "dub",
    "liken",
    "compare",
    "rate",
    "call",
    "term",
    "deem",
]

# Verbs whose "of"/"about"/"against" object carries the content ("warned of a confrontation").
PREP_VERBS = {
    "warn": ("of", "about", "against"),
    "caution": ("of", "about", "against"),
    "speak": ("of", "about"),
    "talk": ("of", "about"),
    "complain": ("of", "about"),
    "call": ("for", "on", "upon"),
    "ask": ("for", "about"),
    "argue": ("for", "against"),
    "insist": ("on",),
}

# Speech verbs that also take an indirect object before the clause ("told reporters that").
# Mental-state verbs are weaker evidence: only counted with a clausal complement.
MENTAL_VERBS = frozenset(
    ["believe", "think", "feel", "fear", "hope", "expect", "doubt", "worry", "know", "wonder"]
)

IRREGULAR = {
    "say": ("says", "said", "saying"),
    "tell": ("tells", "told", "telling"),
    "write": ("writes", "wrote", "written", "writing"),
    "find": ("finds", "found", "finding"),
    "show": ("shows", "showed", "shown", "showing"),
    "think": ("thinks", "thought", "thinking"),
    "feel": ("feels", "felt", "feeling"),
    "know": ("knows", "knew", "known", "knowing"),
    "swear": ("swears", "swore", "sworn", "swearing"),
    "speak": ("speaks", "spoke", "spoken", "speaking"),
    "forecast": ("forecasts", "forecast", "forecasting"),
    "quit": ("quits", "quit", "quitting"),
}


def inflections(verb: str) -> tuple[str, ...]:
    """The forms of a regular or listed irregular English verb."""
    if verb in IRREGULAR:
        return (verb, *IRREGULAR[verb])
    if verb.endswith("e"):
        past, ing = verb + "d", verb[:-1] + "ing"
    elif verb.endswith("y") and verb[-2] not in "aeiou":
        past, ing = verb[:-1] + "ied", verb + "ing"
    elif verb in {"admit", "commit", "regret", "refer", "prefer", "stop", "plan"}:
        past, ing = verb + verb[-1] + "ed", verb + verb[-1] + "ing"
    else:
        past, ing = verb + "ed", verb + "ing"
    if verb.endswith(("s", "sh", "ch", "x", "z", "o")):
        third = verb + "es"
    elif verb.endswith("y") and verb[-2] not in "aeiou":
        third = verb[:-1] + "ies"
    else:
        third = verb + "s"
    return (verb, third, past, ing)


def _forms(verbs: list[str] | set[str] | frozenset[str]) -> dict[str, str]:
    return {form: verb for verb in verbs for form in inflections(verb)}


SPEECH_FORMS: dict[str, str] = _forms(SPEECH_VERBS)
OBJECT_FORMS: dict[str, str] = _forms(OBJECT_VERBS)
PREP_FORMS: dict[str, str] = _forms(set(PREP_VERBS))
DESCRIBE_FORMS: dict[str, str] = _forms(DESCRIBE_VERBS)
# Verbs that refuse or deny what their infinitive or gerund says ("refused to pledge to
# release his returns", "denied knowing that …"): the cue holds both verbs.
REFUSAL_VERBS = ["refuse", "decline", "deny"]
REFUSAL_FORMS: dict[str, str] = _forms(REFUSAL_VERBS)

# Subjects that are no source ("the report said" is one; "it said" is not).
NON_SOURCE_SUBJECTS = frozenset(
    ["it", "this", "there", "what", "these", "those", "something", "nothing", "everything"]
)
FIRST_SECOND_PERSON = frozenset(["i", "we", "you", "me", "us"])
PERSONAL_PRONOUNS = frozenset(["he", "she", "they", "him", "her", "them"])
