"""UI words of the admin pages: key → (中文, English)."""

WORDS: dict[str, tuple[str, str]] = {
}
