"""Sort keys stored beside the values they order: a title's 拼音 (pinyin) order.

Names sort by their pinyin (``pypinyin``), not by code point: each character becomes a
fixed-width group — its syllable padded with ``0`` to six letters, then its tone (1–5) — so a
plain comparison of keys orders 安 (an1) before 昂 (ang2) before 巴 (ba1) on every store and
collation (the key holds only ``0-9a-z``). Letters and digits stand for themselves in the same
width; other characters (punctuation, spaces) do not count. The key is stored on write
(``datasets.title_sort`` / ``published_title_sort``), so lists sort in the store query, by an
index, without loading rows.
"""

from __future__ import annotations

import unicodedata

from pypinyin import Style, pinyin

WIDTH = 6           # the longest syllable (zhuang, shuang): every group is WIDTH + 1 long
KEY_LENGTH = 500    # stored length: the first ~70 characters of a title decide its place


def title_sort_key(title: str) -> str:
    """The stored sort key of a title (lowercase ``0-9a-z`` only)."""
    text = unicodedata.normalize("NFKC", title).lower()
    groups: list[str] = []
    for piece in pinyin(text, style=Style.TONE3, neutral_tone_with_five=True,
                        errors=list):  # type: ignore[arg-type]  # non-Chinese: char by char
        syllable = piece[0]
        if syllable[-1:].isdigit() and syllable[:-1].isalpha() and syllable[:-1].isascii():
            groups.append(syllable[:-1][:WIDTH].ljust(WIDTH, "0") + syllable[-1])
        else:
            groups.extend(ch.ljust(WIDTH + 1, "0") for ch in syllable
                          if ch.isascii() and ch.isalnum())
        if sum(map(len, groups)) >= KEY_LENGTH:
            break
    return "".join(groups)[:KEY_LENGTH]
