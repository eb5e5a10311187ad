"""UI words of the harvest pages: key → (中文, English)."""

WORDS: dict[str, tuple[str, str]] = {
}
