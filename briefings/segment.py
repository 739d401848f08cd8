"""A line break ends a sentence: set before the parser, which keeps preset boundaries.

News text puts headlines, datelines, captions and quoted paragraphs on lines of their
own; without this the parser may join a headline to the first sentence, or a
paragraph's last words to the next paragraph's quote.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spacy.language import Language

if TYPE_CHECKING:
    from spacy.tokens import Doc

COMPONENT = "line_breaks"


@Language.component(COMPONENT)
def line_breaks(doc: Doc) -> Doc:
    """Mark the first token after any whitespace holding a newline as a sentence start."""
    for token in doc[:-1]:
        if token.is_space and "\n" in token.text:
            doc[token.i + 1].is_sent_start = True
    return doc
