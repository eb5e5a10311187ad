"""UI words of the browse pages: key → (中文, English)."""

WORDS: dict[str, tuple[str, str]] = {
}
