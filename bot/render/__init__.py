"""Texts, keyboards, charts and spreadsheets: what the bot shows, built from figures."""
