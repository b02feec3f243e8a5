"""Message catalogs: they parse, Vietnamese translates every id in use, placeholders agree.

The scanners read every bot/locales/<lang>/*.po and every bot/**/*.py, so they keep working as
features add catalogs and handlers. A message id is found in code when it is a string literal
given to a function or method named ``t``: ``context.t("report.ask_date")``,
``i18n.t(lang, "start.stranger", name=...)``. Ids built at run time (f-strings) are not seen;
list them in DYNAMIC below, or test them where they are built (as for the command menu).
"""

from __future__ import annotations

import ast
import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot import commands, i18n

BOT = Path(i18n.__file__).parent
LOCALES = i18n.LOCALES


@dataclass(frozen=True)
class Use:
    """One call t(..."id"...) in the code."""

    key: str
    where: str  # file:line
    values: frozenset[str]  # keyword arguments given
    open_values: bool  # **mapping given: any value may be there


def po_files(language: str | None = None) -> list[Path]:
    pattern = f"{language}/*.po" if language else "*/*.po"
    return sorted(LOCALES.glob(pattern))


def languages() -> list[str]:
    return sorted(p.name for p in LOCALES.iterdir() if p.is_dir())


@cache
def messages(language: str) -> dict[str, tuple[str, str]]:
    """id -> (text, file) for one language, read strictly (a broken entry fails the read)."""
    found: dict[str, tuple[str, str]] = {}
    for path in po_files(language):
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=language, abort_invalid=True)
        for message in catalog:
            if message.id:
                found[str(message.id)] = (str(message.string), path.name)
    return found


def placeholders(text: str) -> set[str]:
    """The names in {name} / {name:fmt} / {name!r}; raises ValueError on unbalanced braces."""
    names = set()
    for _literal, field, _spec, _conversion in string.Formatter().parse(text):
        if field is not None:
            names.add(field.split(".")[0].split("[")[0])
    return names


@cache
def uses() -> tuple[Use, ...]:
    found = []
    for path in sorted(BOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name != "t":
                continue
            key = next(
                (
                    arg.value
                    for arg in node.args[:2]
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                ),
                None,
            )
            if key is None:
                continue
            found.append(
                Use(
                    key=key,
                    where=f"{path.relative_to(BOT.parent)}:{node.lineno}",
                    values=frozenset(k.arg for k in node.keywords if k.arg),
                    open_values=any(k.arg is None for k in node.keywords),
                )
            )
    return tuple(found)


# Message ids the code builds at run time, which the scanner cannot see.
DYNAMIC = {f"command.{name}" for name in commands.MENU}


def test_the_scanner_finds_the_calls_in_the_code() -> None:
    keys = {use.key for use in uses()}
    assert {"start.stranger", "start.welcome_back", "error.generic"} <= keys


@pytest.mark.parametrize("path", po_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_catalog_parses(path: Path) -> None:
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=path.parent.name, abort_invalid=True)
    assert catalog.locale is not None
    for message in catalog:
        if message.id:
            assert isinstance(message.id, str), f"{message.id}: plural forms are not used"
            assert message.string, f"{path.name}: {message.id} has no text"
            placeholders(message.string)  # balanced braces


def test_vietnamese_and_english_exist() -> None:
    assert {"vi", "en"} <= set(languages())
    assert set(i18n.LANGUAGES) <= set(languages())


@pytest.mark.parametrize("language", languages())
def test_no_id_is_defined_twice(language: str) -> None:
    """Feature catalogs are merged: the same id in two files of a language is a conflict."""
    seen: dict[str, str] = {}
    for path in po_files(language):
        with path.open("rb") as handle:
            for message in read_po(handle, locale=language):
                if message.id:
                    assert message.id not in seen, (
                        f"{language}: {message.id} in {seen[message.id]} and {path.name}"
                    )
                    seen[str(message.id)] = path.name


def test_every_id_in_the_code_has_vietnamese() -> None:
    vi = messages("vi")
    missing = sorted({f"{u.key} ({u.where})" for u in uses() if u.key not in vi})
    missing += sorted(key for key in DYNAMIC if key not in vi)
    assert not missing, "no Vietnamese text for: " + ", ".join(missing)


@pytest.mark.parametrize("language", [lang for lang in languages() if lang != "vi"])
def test_every_translated_id_has_vietnamese(language: str) -> None:
    vi = messages("vi")
    missing = sorted(key for key in messages(language) if key not in vi)
    assert not missing, f"in {language} but not in vi: {', '.join(missing)}"


@pytest.mark.parametrize("language", [lang for lang in languages() if lang != "vi"])
def test_placeholders_match_vietnamese(language: str) -> None:
    vi = messages("vi")
    wrong = [
        f"{key}: {language} {sorted(placeholders(text))} vs vi {sorted(placeholders(vi[key][0]))}"
        for key, (text, _file) in messages(language).items()
        if key in vi and placeholders(text) != placeholders(vi[key][0])
    ]
    assert not wrong, "; ".join(wrong)


def test_calls_give_every_placeholder() -> None:
    """t() formats only when values are given: a missing one raises, or shows '{name}' raw."""
    wrong = []
    for use in uses():
        for language in languages():
            text = messages(language).get(use.key, ("", ""))[0]
            needed = placeholders(text)
            if not use.open_values and not needed <= use.values:
                wrong.append(
                    f"{use.where}: {use.key} needs {sorted(needed)}, gets {sorted(use.values)}"
                )
    assert not wrong, "; ".join(sorted(set(wrong)))


def test_command_menu_is_translated() -> None:
    for language in i18n.LANGUAGES:
        menu = commands.menu(language)
        assert [c.command for c in menu] == list(commands.MENU)
        assert all(c.description for c in menu)


def test_t_falls_back_to_vietnamese(monkeypatch: pytest.MonkeyPatch) -> None:
    i18n.catalog.cache_clear()
    try:
        vi_only = dict(i18n.catalog("vi"), **{"test.only_vi": "Chỉ tiếng Việt {n}"})
        monkeypatch.setattr(i18n, "catalog", lambda lang: vi_only if lang == "vi" else {"x": "y"})
        assert i18n.t("en", "test.only_vi", n=1) == "Chỉ tiếng Việt 1"
        assert i18n.t("en-GB", "test.only_vi", n=2) == "Chỉ tiếng Việt 2"
        with pytest.raises(KeyError):
            i18n.t("vi", "test.nowhere")
    finally:
        monkeypatch.undo()
        i18n.catalog.cache_clear()


def test_normalise() -> None:
    assert i18n.normalise("en-US") == "en"
    assert i18n.normalise("EN") == "en"
    assert i18n.normalise("fr") == "vi"
    assert i18n.normalise(None) == "vi"


def test_a_messengers_variant_is_used_for_its_updates_only() -> None:
    plain = i18n.t("vi", "problem.ask_place", high=120)
    token = i18n.VARIANT.set("zalo")
    try:
        on_zalo = i18n.t("vi", "problem.ask_place", high=120)
        assert i18n.t("vi", "start.stranger")  # no variant: the text itself
    finally:
        i18n.VARIANT.reset(token)
    assert "📎" in plain and "📎" not in on_zalo
    assert i18n.t("vi", "problem.ask_place", high=120) == plain
