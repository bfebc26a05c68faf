"""Messages in zh-CN (default) and English, from messages.yaml; the choice lives in a cookie."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from hizone.catalog import read_yaml
from hizone.errors import CatalogError

MESSAGES = Path(__file__).parent / "messages.yaml"
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
LANG_COOKIE = "hizone_lang"


@cache
def catalog(path: Path = MESSAGES) -> dict[str, dict[str, str]]:
    doc = read_yaml(path)
    messages: dict[str, dict[str, str]] = {}
    for key, entry in doc["messages"].items():
        if not isinstance(entry, dict) or set(entry) != set(LANGUAGES):
            raise CatalogError(f"message '{key}' needs exactly the languages {', '.join(LANGUAGES)}",
                               where=str(path))
        messages[key] = {lang: str(entry[lang]) for lang in LANGUAGES}
    return messages


def translate(key: str, lang: str, **params: object) -> str:
    """The message in ``lang``; an unknown key shows as itself so a missing message is visible, not fatal."""
    entry = catalog().get(key)
    text = entry.get(lang, entry[DEFAULT_LANGUAGE]) if entry else key
    return text.format(**params) if params else text


def pick_language(cookie: str | None) -> str:
    return cookie if cookie in LANGUAGES else DEFAULT_LANGUAGE
