"""Chibo: monthly cell meeting reports and local problems, over Telegram."""
