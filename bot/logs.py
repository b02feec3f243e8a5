"""Logging set-up: one format, quiet HTTP libraries, and secrets redacted from every record."""

from __future__ import annotations

import logging

REDACTED = "***"


class RedactSecrets(logging.Filter):
    """Replaces each secret by *** in a record's final text (URLs of the Bot API hold the token)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [secret for secret in secrets if secret]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        clean, clean_exc = message, record.exc_text
        for secret in self.secrets:
            clean = clean.replace(secret, REDACTED)
            clean_exc = clean_exc.replace(secret, REDACTED) if clean_exc else clean_exc
        if clean != message:
            record.msg, record.args = clean, ()
        record.exc_text = clean_exc
        return True


def setup_logging(level: str, secrets: list[str]) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )
    redact = RedactSecrets(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
    # httpx logs every request URL, and the Bot API's URLs carry the token.
    for noisy in ("httpx", "httpcore", "apscheduler", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
