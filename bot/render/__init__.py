"""Texts and keyboards (and later charts, spreadsheets) built from plain data, per feature."""
