"""Fixtures shared by every test package. Package-specific ones live in their own conftest.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from spacy.language import Language


@pytest.fixture(scope="session")
def nlp() -> Language:
    """The real small English model, loaded once per test session."""
    from briefings.nlp import load_model

    return load_model()
