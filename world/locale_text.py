"""Texts in several languages: checking them, and picking the one a user reads.

A text people read (a notice, a poll question) is a map of locale tag to string, with Korean
required: ``{"ko": "...", "en": "...", "ja": "...", "zh": "..."}``. A user is shown their
own language when a translation exists, else English, else Korean.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["FALLBACK_LOCALES", "MAX_LOCALES", "TextError", "check_texts", "pick"]

FALLBACK_LOCALES = ("en", "ko")
"""Tried in order when the user's own locale has no translation."""
MAX_LOCALES = 8
"""Most translations of one text."""

_LOCALE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}")
# Newlines and tabs are fine in a notice body; other control characters are not.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class TextError(ValueError):
    """A text map is malformed; the message names the field."""


def check_texts(value: Any, field: str, limit: int) -> dict[str, str]:
    """A valid text map (trimmed): Korean present, known-shaped locale tags, each text
    1..``limit`` characters with no control characters."""
    if not isinstance(value, dict) or not value:
        raise TextError(f'{field}: expected an object of locale -> text, e.g. {{"ko": "..."}}')
    if len(value) > MAX_LOCALES:
        raise TextError(f"{field}: at most {MAX_LOCALES} translations")
    out: dict[str, str] = {}
    for locale, text in value.items():
        if not isinstance(locale, str) or not _LOCALE.fullmatch(locale):
            raise TextError(f"{field}: {locale!r} is not a locale tag such as ko or en")
        if not isinstance(text, str) or not text.strip():
            raise TextError(f"{field}.{locale}: expected a non-empty string")
        text = text.strip()
        if len(text) > limit:
            raise TextError(f"{field}.{locale}: {len(text)} characters; at most {limit}")
        if _CONTROL.search(text):
            raise TextError(f"{field}.{locale}: contains control characters")
        out[locale] = text
    if "ko" not in out:
        raise TextError(f"{field}: a Korean text (ko) is required")
    return out


def pick(texts: Mapping[str, str], locale: str) -> tuple[str, str]:
    """(text, the locale it is in) for a user reading ``locale``."""
    for candidate in (locale, locale.split("-")[0], *FALLBACK_LOCALES):
        text = texts.get(candidate)
        if text:
            return text, candidate
    first = next(iter(texts.items()), ("", ""))
    return first[1], first[0]
