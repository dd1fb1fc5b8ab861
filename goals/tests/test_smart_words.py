"""The SMART "Specific" check word by word: the vague-word list and how a title is split."""

from __future__ import annotations

import pytest

from goals import smart
from goals.smart import SPECIFIC_OK, SPECIFIC_SHORT, SPECIFIC_VAGUE, VAGUE_WORDS, check_specific


def verdict(title: str) -> tuple[bool, str]:
    result = check_specific(title)
    return result.ok, result.reason


# Written out here, not read from smart.py: dropping a word from the list must fail a test.
EXPECTED_VAGUE = """
    improve improving improved improvement better best good great more less work working on
    do doing make making get getting things thing stuff focus try trying enhance optimise
    optimize grow growth increase decrease boost drive deliver support continue keep general
    overall various some etc really very much lot lots all new up done
    the a an our my we us it its to and or of in for with at by from be is are this that
""".split()


@pytest.mark.parametrize("word", EXPECTED_VAGUE)
def test_every_vague_word_alone_makes_a_title_unspecific(word):
    assert verdict(f"{word} {word} {word}") == (False, SPECIFIC_VAGUE)
    # Capitals make no difference.
    assert verdict(f"{word.upper()} {word} {word.title()}") == (False, SPECIFIC_VAGUE)


def test_the_vague_word_list_is_pinned():
    """Adding or dropping a word changes what authors are told: make it a deliberate edit."""
    assert set(EXPECTED_VAGUE) == VAGUE_WORDS
    assert len(EXPECTED_VAGUE) == len(VAGUE_WORDS) == 76


@pytest.mark.parametrize(
    "word", ["churn", "onboarding", "revenue", "latency", "customers", "hire", "cut"]
)
def test_a_concrete_word_among_vague_ones_makes_a_title_specific(word):
    assert verdict(f"improve the {word}") == (True, SPECIFIC_OK)
    assert verdict(f"{word} {word} {word}") == (True, SPECIFIC_OK)


@pytest.mark.parametrize(
    "title,words",
    [
        ("Be best-in-class", ["be", "best-in-class"]),
        ("The world's best", ["the", "world's", "best"]),
        ("The world’s best", ["the", "world’s", "best"]),
        ("Ship in Q4", ["ship", "in", "q4"]),
        ("10x more, faster!", ["10x", "more", "faster"]),
        ("Cut 10.5% of (support) tickets", ["cut", "10", "5", "of", "support", "tickets"]),
        ("snake_case stays", ["snake_case", "stays"]),
    ],
)
def test_it_splits_titles_on_spaces_and_punctuation_keeping_hyphens_and_apostrophes(title, words):
    assert smart._words(title) == words


@pytest.mark.parametrize(
    "title,expected",
    [
        # A hyphenated compound is one word, and not in the list, even if made of vague ones.
        ("Improve best-in-class things", (True, SPECIFIC_OK)),
        ("Be best-in-class", (False, SPECIFIC_SHORT)),
        # A possessive is a word of its own, not the vague word it starts with.
        ("Make it world's best", (True, SPECIFIC_OK)),
        # Bare numbers say nothing on their own: they count as vague ...
        ("Improve 10 things", (False, SPECIFIC_VAGUE)),
        ("Do more 2025", (False, SPECIFIC_VAGUE)),
        # ... but a number with letters attached is a word.
        ("Do more in Q4", (True, SPECIFIC_OK)),
        ("Get 10x better", (True, SPECIFIC_OK)),
        # Punctuation is not a word, so it neither pads the count nor makes it specific.
        ("Improve ... !!", (False, SPECIFIC_SHORT)),
        ("Make it better!", (False, SPECIFIC_VAGUE)),
    ],
)
def test_how_splitting_decides_the_specific_check(title, expected):
    assert verdict(title) == expected
