"""Long replies go to Zalo in pieces of at most 2,000 characters, cut where a reader expects."""

from __future__ import annotations

import unicodedata

import pytest

from bot.zalo.text import MAX_TEXT, split_text, utf16_len


def words_of(pieces: list[str]) -> list[str]:
    return " ".join(pieces).split()


def test_a_short_text_is_one_piece():
    assert split_text("Xin chào đồng chí") == ["Xin chào đồng chí"]
    assert split_text("ệ" * MAX_TEXT) == ["ệ" * MAX_TEXT]


@pytest.mark.parametrize("text", ["", "   ", "\n\n \t\n"])
def test_nothing_to_say_is_no_piece(text: str):
    assert split_text(text) == []


def test_cuts_at_the_last_line_break_in_reach():
    text = "dòng một\ndòng hai\ndòng ba"
    assert split_text(text, limit=18) == ["dòng một\ndòng hai", "dòng ba"]


def test_a_too_long_line_is_cut_at_a_space():
    assert split_text("một hai ba bốn năm", limit=10) == ["một hai ba", "bốn năm"]


def test_a_word_longer_than_the_limit_is_cut_hard():
    assert split_text("abcdefghij klm", limit=4) == ["abcd", "efgh", "ij", "klm"]


def test_no_whitespace_at_the_cuts_and_no_empty_piece():
    text = "một   \n\n\n   \nhai    ba\t\n"
    pieces = split_text(text, limit=6)
    assert pieces == ["một", "hai", "ba"]


def test_every_piece_fits_and_no_word_is_lost():
    line = "Báo cáo sinh hoạt chi bộ tháng 11 thôn Đông " * 9
    text = "\n".join(f"{n}. {line.strip()}" for n in range(120))
    pieces = split_text(text)
    assert len(pieces) > 1
    assert all(0 < len(piece) <= MAX_TEXT for piece in pieces)
    assert all(piece == piece.strip() for piece in pieces)
    assert words_of(pieces) == text.split()
    # Lines are cut whole: each piece starts with a line's number.
    assert all(piece.split(".", 1)[0].isdigit() for piece in pieces)


def test_emoji_count_as_two_as_in_utf16():
    text = "👍" * 1500
    pieces = split_text(text)
    assert [utf16_len(piece) for piece in pieces] == [2000, 1000]


def test_a_letter_keeps_its_combining_accents():
    decomposed = unicodedata.normalize("NFD", "ệ") * 10  # e + two combining marks, each
    pieces = split_text(decomposed, limit=7)
    assert all(not unicodedata.combining(piece[0]) for piece in pieces)
    assert "".join(pieces) == decomposed
    assert all(len(piece) <= 7 for piece in pieces)


def test_the_limit_must_be_positive():
    with pytest.raises(ValueError):
        split_text("a", limit=0)
