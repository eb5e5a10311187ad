"""Chinese text analysis shared by both search backends.

Both backends index the same pre-analysed text and run the same query plan, so they find the
same records (the embedded FTS5 does not segment Chinese; Elasticsearch gets whitespace-joined
tokens and a whitespace analyzer):

- **folding**: NFKC (full-width letters and digits, ideographic space), lower case and
  traditional → simplified characters (OpenCC's ``t2s`` character table), one character at a
  time so that a folded text maps back to the original for highlighting;
- **words**: rjieba (jieba-rs) segmentation, precise mode, with the synonym terms added to its
  dictionary; tokens are split where the script changes (``2023年`` → ``2023`` ``年``);
- **grams**: overlapping character bigrams of every run of Chinese characters plus the run's last
  character, so any Chinese substring of two or more characters is found as a phrase of bigrams
  whatever the segmenter made of its context, and a single character as a bigram prefix;
- **synonyms**: the groups of ``vocab/schemes/synonyms.ttl`` (SKOS prefLabel + altLabels);
  a query term of a group matches any term of the group.

A query is a conjunction of clauses; a clause is a disjunction of alternatives (the term and
its synonyms); an alternative matches a phrase of words or a phrase of bigrams.
"""

from __future__ import annotations

import html
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_CJK_RUN = re.compile(f"[{CJK}]+")
_PIECE = re.compile(f"[{CJK}]+|[^\\W_{CJK}]+")
_IS_CJK = re.compile(f"^[{CJK}]+$")

# function words dropped from queries (never from documents)
QUERY_STOPWORDS = frozenset({"的", "了", "和", "与", "及", "或", "等", "之", "其", "并",
                             "以及", "及其", "关于"})

_lock = threading.Lock()
_converter: Any = None
_segmenter: Any = None


# -- folding ---------------------------------------------------------------------------------
def _t2s(text: str) -> str:
    global _converter
    if _converter is None:
        with _lock:
            if _converter is None:
                import opencc

                _converter = opencc.OpenCC("t2s")
    return str(_converter.convert(text))


def _fold_char(char: str) -> str:
    folded = unicodedata.normalize("NFKC", char).lower()
    if folded.isspace():
        return " "
    if _CJK_RUN.search(folded):
        folded = _t2s(folded)
    return folded


class _FoldTable(dict[int, str]):
    """``str.translate`` table filled on first sight of each character."""

    def __missing__(self, code: int) -> str:
        value = _fold_char(chr(code))
        self[code] = value
        return value


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """NFKC, lower case, traditional → simplified; character by character."""
    return text.translate(_FOLD)


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each of its characters, the index of its original character."""
    parts: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        folded = _FOLD[ord(char)]
        parts.append(folded)
        origin.extend([index] * len(folded))
    return "".join(parts), origin


# -- tokens ----------------------------------------------------------------------------------
def segmenter() -> Any:
    """The rjieba segmenter (built once, ~0.1 s), with every synonym term in its dictionary."""
    global _segmenter
    if _segmenter is None:
        with _lock:
            if _segmenter is None:
                import rjieba

                jieba = rjieba.Jieba()
                for group in synonym_groups():
                    for term in group:
                        if _IS_CJK.match(term) and len(term) > 1:
                            jieba.add_word(term, None, None)
                _segmenter = jieba
    return _segmenter


def pieces(token: str) -> list[str]:
    """A token split where the script changes, punctuation and symbols dropped."""
    return _PIECE.findall(token)


def words(text: str, *, folded: bool = False) -> list[str]:
    """Segmented words of a text (folded first unless ``folded``)."""
    text = text if folded else fold(text)
    out: list[str] = []
    for token in segmenter().cut(text, True):
        out.extend(_PIECE.findall(token))
    return out


def grams(text: str, *, folded: bool = False) -> list[str]:
    """Bigrams of each run of Chinese characters, then the run's last character."""
    text = text if folded else fold(text)
    out: list[str] = []
    for match in _CJK_RUN.finditer(text):
        run = match.group()
        out.extend(run[i:i + 2] for i in range(len(run) - 1))
        out.append(run[-1])
    return out


def _bigrams(run: str) -> tuple[str, ...]:
    return tuple(run[i:i + 2] for i in range(len(run) - 1)) if len(run) > 1 else (run,)


@dataclass(frozen=True)
class AnalyzedText:
    words: str   # space-joined words
    grams: str   # space-joined bigrams


def analyze(texts: Iterable[str]) -> AnalyzedText:
    """Index text of several values (each segmented on its own), ready for either backend."""
    all_words: list[str] = []
    all_grams: list[str] = []
    for text in texts:
        if not text:
            continue
        folded = fold(text)
        all_words.extend(words(folded, folded=True))
        all_grams.extend(grams(folded, folded=True))
    return AnalyzedText(" ".join(all_words), " ".join(all_grams))


def is_cjk(token: str) -> bool:
    return bool(_IS_CJK.match(token))


# -- synonyms --------------------------------------------------------------------------------
@cache
def synonym_groups() -> tuple[tuple[str, ...], ...]:
    """Folded synonym groups from the SKOS scheme ``synonyms`` (prefLabel first)."""
    from vocab.concepts import scheme

    groups = []
    for concept in scheme("synonyms").concepts.values():
        terms = dict.fromkeys(fold(t).strip() for t in (concept.label_zh, *concept.alt_labels))
        groups.append(tuple(t for t in terms if t))
    return tuple(groups)


@cache
def _synonym_index() -> tuple[dict[str, tuple[str, ...]], re.Pattern[str] | None]:
    by_term: dict[str, tuple[str, ...]] = {}
    for group in synonym_groups():
        for term in group:
            merged = dict.fromkeys((*by_term.get(term, ()), *group))
            by_term[term] = tuple(merged)
    if not by_term:
        return by_term, None
    alternation = "|".join(re.escape(t) for t in sorted(by_term, key=len, reverse=True))
    return by_term, re.compile(alternation)


def synonyms(term: str) -> tuple[str, ...]:
    """The term's group (the term first), or just the term."""
    group = _synonym_index()[0].get(term)
    if not group:
        return (term,)
    return (term, *(t for t in group if t != term))


# -- queries ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Alternative:
    """One way a clause matches: a phrase of words, or a phrase of bigrams (or a prefix)."""

    surface: str                 # the folded term, as highlighted
    words: tuple[str, ...]       # phrase in the word fields
    grams: tuple[str, ...] = ()  # phrase in the bigram fields (empty: words only)
    prefix: bool = False         # a single Chinese character: any bigram starting with it


@dataclass(frozen=True)
class Clause:
    """Every clause of a query must match; any one of its alternatives does."""

    alternatives: tuple[Alternative, ...]


def _alternative(term: str) -> Alternative | None:
    term_words = tuple(words(term, folded=True))
    if not term_words:
        return None
    if is_cjk(term):
        return Alternative(term, term_words, _bigrams(term), prefix=len(term) == 1)
    return Alternative(term, term_words)


def _clause(terms: Iterable[str]) -> Clause | None:
    alternatives = tuple(a for a in (_alternative(t) for t in terms) if a is not None)
    return Clause(alternatives) if alternatives else None


def _plain_segments(text: str) -> Iterator[str]:
    for token in segmenter().cut(text, True):
        yield from _PIECE.findall(token)


def analyze_query(text: str) -> tuple[Clause, ...]:
    """The query plan: one clause per query word (synonym terms found first, longest first)."""
    folded = fold(text)
    index, pattern = _synonym_index()
    clauses: list[Clause] = []
    seen: set[tuple[str, ...]] = set()

    def add(terms: tuple[str, ...]) -> None:
        key = tuple(sorted(terms))
        if key in seen:
            return
        seen.add(key)
        clause = _clause(terms)
        if clause is not None:
            clauses.append(clause)

    position = 0
    matches = list(pattern.finditer(folded)) if pattern is not None else []
    for match in [*matches, None]:
        end = match.start() if match is not None else len(folded)
        for token in _plain_segments(folded[position:end]):
            if token not in QUERY_STOPWORDS:
                add((token,))
        if match is not None:
            add(synonyms(match.group()))
            position = match.end()
    return tuple(clauses)


def query_terms(clauses: Iterable[Clause]) -> list[str]:
    """Every surface term of a query plan, for highlighting."""
    return list(dict.fromkeys(a.surface for c in clauses for a in c.alternatives))


# -- highlighting ----------------------------------------------------------------------------
HIGHLIGHT_OPEN = "<em>"
HIGHLIGHT_CLOSE = "</em>"


def _spans(folded: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for term in terms:
        if not term:
            continue
        start = folded.find(term)
        while start >= 0:
            spans.append((start, start + len(term)))
            start = folded.find(term, start + 1)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _mark(text: str, spans: list[tuple[int, int]], lo: int, hi: int) -> str:
    out: list[str] = []
    cursor = lo
    for start, end in spans:
        start, end = max(start, lo), min(end, hi)
        if start >= end:
            continue
        out.append(html.escape(text[cursor:start]))
        out.append(HIGHLIGHT_OPEN + html.escape(text[start:end]) + HIGHLIGHT_CLOSE)
        cursor = end
    out.append(html.escape(text[cursor:hi]))
    return "".join(out)


def highlight(text: str, terms: list[str], *, fragment_size: int = 0,
              max_fragments: int = 3) -> list[str]:
    """HTML-escaped fragments of ``text`` with each term wrapped in ``<em>``…``</em>``.

    ``fragment_size`` 0 gives the whole text as one fragment. Terms are folded; the text is
    matched folded (so 戶籍 in a record is marked for the query 户籍) but shown as it is.
    """
    if not text or not terms:
        return []
    folded, origin = fold_with_offsets(text)
    folded_spans = _spans(folded, terms)
    if not folded_spans:
        return []
    spans = [(origin[s], origin[e - 1] + 1) for s, e in folded_spans]
    if fragment_size <= 0 or len(text) <= fragment_size:
        return [_mark(text, spans, 0, len(text))]
    fragments: list[str] = []
    covered = -1
    for start, _end in spans:
        if start < covered:
            continue
        lo = max(0, start - fragment_size // 4)
        hi = min(len(text), lo + fragment_size)
        lo = max(0, min(lo, hi - fragment_size))
        fragment = _mark(text, spans, lo, hi)
        fragments.append(("…" if lo > 0 else "") + fragment + ("…" if hi < len(text) else ""))
        covered = hi
        if len(fragments) >= max_fragments:
            break
    return fragments
