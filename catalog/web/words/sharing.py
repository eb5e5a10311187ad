"""UI words of the sharing pages: key → (中文, English)."""

WORDS: dict[str, tuple[str, str]] = {
}
