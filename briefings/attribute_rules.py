"""The model's attribute ruler (tag → POS and morphology, a few exceptions), applied from a
memo instead of a Matcher run over every token.

spaCy's ``AttributeRuler`` matches all its patterns (about 180 in ``en_core_web_sm``) against
every token: a tenth of the whole parse. Nearly all its patterns look at one token, and for
those the outcome depends only on the token's tag, lower-case form, dependency label and
whether it is a space, so it is worked out once per distinct combination and reused. The few
patterns over two tokens still go through a Matcher. The result is the same as the ruler's:
rules apply in the ruler's order, later ones winning (``tests/briefings/test_nlp.py`` compares
the two). A ruler with patterns this does not understand is left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens._retokenize import set_token_attrs

if TYPE_CHECKING:
    from spacy.pipeline import AttributeRuler
    from spacy.tokens import Doc

Features = tuple[str, str, str, bool]  # tag, lower-case form, dependency label, is a space
Predicate = Callable[[Features], bool]
_FIELDS = {"TAG": 0, "LOWER": 1, "DEP": 2, "IS_SPACE": 3}
# Distinct token kinds remembered (a few MB); a long-running process starts over past it.
MEMO_SIZE = 200_000


class Unsupported(ValueError):
    """A pattern this module cannot evaluate by itself."""


def _value_test(spec: Any) -> Callable[[Any], bool]:
    if isinstance(spec, str | bool):
        return lambda value: value == spec
    if isinstance(spec, Mapping) and len(spec) == 1:
        ((op, arg),) = spec.items()
        if op == "IN" and isinstance(arg, list):
            allowed = frozenset(arg)
            return lambda value: value in allowed
        if op == "NOT_IN" and isinstance(arg, list):
            refused = frozenset(arg)
            return lambda value: value not in refused
        if op == "REGEX" and isinstance(arg, str):
            pattern = re.compile(arg)
            return lambda value: isinstance(value, str) and pattern.search(value) is not None
    raise Unsupported(f"token pattern value {spec!r}")


def _predicate(token_spec: Mapping[str, Any]) -> Predicate:
    tests = []
    for key, spec in token_spec.items():
        if key not in _FIELDS:
            raise Unsupported(f"token pattern key {key!r}")
        tests.append((_FIELDS[key], _value_test(spec)))
    return lambda features: all(test(features[field]) for field, test in tests)


class MemoAttributeRuler:
    """Applies an ``AttributeRuler``'s rules, single-token ones from a memo."""

    def __init__(self, ruler: AttributeRuler) -> None:
        self.vocab = ruler.vocab
        # (rule number, predicate, normalised attrs) for the one-token patterns
        self.single: list[tuple[int, Predicate, dict[Any, Any]]] = []
        self.multi = Matcher(ruler.vocab)
        self.multi_rules: dict[int, tuple[dict[Any, Any], int]] = {}
        single_patterns: list[Mapping[str, Any]] = []
        for number, rule in enumerate(ruler.patterns):
            patterns: Any = rule["patterns"]
            attrs = ruler.attrs[number]
            if all(len(p) == 1 for p in patterns):
                for pattern in patterns:
                    if any("OP" in spec for spec in pattern):
                        raise Unsupported("quantifiers")
                    self.single.append((number, _predicate(pattern[0]), attrs))
                    single_patterns.append(pattern[0])
            else:
                key = self.vocab.strings.add(f"memo-rule-{number}")
                self.multi.add(key, [list(p) for p in patterns])
                self.multi_rules[key] = (attrs, ruler.indices[number])
        # Most rules name the tag they apply to: only those and the tagless ones are tried.
        self.by_tag: dict[str, list[tuple[int, Predicate, dict[Any, Any]]]] = {}
        self.any_tag: list[tuple[int, Predicate, dict[Any, Any]]] = []
        for single, pattern in zip(self.single, single_patterns, strict=True):
            tag = pattern.get("TAG")
            if isinstance(tag, str):
                self.by_tag.setdefault(tag, []).append(single)
            elif isinstance(tag, Mapping) and list(tag) == ["IN"]:
                for value in tag["IN"]:
                    self.by_tag.setdefault(value, []).append(single)
            else:
                self.any_tag.append(single)
        self.candidates: dict[str, list[tuple[int, Predicate, dict[Any, Any]]]] = {}
        self.memo: dict[tuple[int, int, int, int], list[tuple[int, dict[Any, Any]]]] = {}

    def _rules_for(self, key: tuple[int, int, int, int]) -> list[tuple[int, dict[Any, Any]]]:
        strings = self.vocab.strings
        features: Features = (strings[key[0]], strings[key[1]], strings[key[2]], bool(key[3]))
        candidates = self.candidates.get(features[0])
        if candidates is None:
            candidates = [*self.by_tag.get(features[0], ()), *self.any_tag]
            candidates.sort(key=lambda single: single[0])
            self.candidates[features[0]] = candidates
        return [(n, attrs) for n, test, attrs in candidates if test(features)]

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        extra: dict[int, list[tuple[int, dict[Any, Any]]]] = {}
        for match_id, start, end in self.multi(doc, allow_missing=True):
            attrs, index = self.multi_rules[match_id]
            number = int(self.vocab.strings[match_id].rsplit("-", 1)[1])
            position = range(start, end)[index]
            extra.setdefault(position, []).append((number, attrs))
        memo = self.memo
        rows = doc.to_array(["TAG", "LOWER", "DEP", "IS_SPACE"]).tolist()
        for i, row in enumerate(rows):
            key = (row[0], row[1], row[2], row[3])
            rules = memo.get(key)
            if rules is None:
                if len(memo) >= MEMO_SIZE:
                    memo.clear()
                rules = memo[key] = self._rules_for(key)
            if i in extra:
                rules = sorted([*rules, *extra[i]], key=lambda rule: rule[0])
            if rules:
                token = doc[i]
                for _, attrs in rules:
                    set_token_attrs(token, attrs)
        return doc


FACTORY = "newsbrief_memo_attribute_ruler"


@Language.factory(FACTORY)
def _make_memo_ruler(nlp: Language, name: str) -> MemoAttributeRuler:
    return MemoAttributeRuler(nlp.get_pipe("attribute_ruler"))  # type: ignore[arg-type]


def use_memo_ruler(nlp: Language) -> bool:
    """Swap the pipeline's ``attribute_ruler`` for the memoised one, under the same name;
    False (and nothing changed) when its patterns are beyond what the memo handles."""
    if "attribute_ruler" not in nlp.pipe_names:
        return False
    try:
        nlp.add_pipe(FACTORY, name="memo_attribute_ruler", after="attribute_ruler")
    except Unsupported:
        return False
    nlp.remove_pipe("attribute_ruler")
    nlp.rename_pipe("memo_attribute_ruler", "attribute_ruler")
    return True
