"""The sender and the outbox's message payloads live in bot.outbox (handlers send through it
too, and must not import the jobs); the jobs' names for them."""

from bot.outbox import MAX_ATTEMPTS, RETRY_DELAY, Payload, Sender, message, picture

__all__ = ["MAX_ATTEMPTS", "RETRY_DELAY", "Payload", "Sender", "message", "picture"]
