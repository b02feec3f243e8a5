"""Fakes of outside services for tests: the Telegram Bot API server."""
