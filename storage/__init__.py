"""Storage: tables, engine and sessions, queries and migrations."""
