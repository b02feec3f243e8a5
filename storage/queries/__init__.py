"""Data access as keyword-only functions, by topic. Callers own the session and its transaction."""
