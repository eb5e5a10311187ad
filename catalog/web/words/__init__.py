"""UI words of the web pages, one module an area (each a ``WORDS`` table of key → (zh, en)),
gathered into ``catalog.web.i18n.UI``. A key is defined once: two areas defining the same key is
an error at import."""

from __future__ import annotations

from catalog.web.words import admin, browse, harvest, sharing

AREAS = (admin, browse, harvest, sharing)


def gathered(core: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """``core`` and every area's words, refusing a key defined twice."""
    out = dict(core)
    for area in AREAS:
        twice = sorted(out.keys() & area.WORDS.keys())
        if twice:
            raise ValueError(f"UI words defined twice ({area.__name__}): {', '.join(twice)}")
        out.update(area.WORDS)
    return out
