"""The Zalo Bot Platform on the wire: events as they arrive, text as Zalo takes it, a thin client.

Nothing here knows Telegram or the database: `events` reads what Zalo sends (getUpdates or the
webhook) into `ZaloEvent`s, `text` cuts long replies to Zalo's 2,000 characters, `client` calls
the Bot API over httpx. The API is documented thinly and sources disagree on some shapes (the
"nothing yet" answer of getUpdates, the webhook's wrapper, the photo field): each module accepts
every variant seen, and tests/unit/test_zalo_*.py try each one, against the fake Zalo server of
tests/fakes/zalo_server.py where HTTP is involved.
"""
