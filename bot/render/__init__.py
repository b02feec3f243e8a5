"""Texts, keyboards, charts and spreadsheets built from plain data, per feature."""
