"""Files Chibo keeps on disk: photos people send on Zalo (Zalo gives a URL that does not last),
and charts and exports to hand to Zalo, which takes pictures by URL only and no documents.

A kept file has a random name; it is reached from outside only by a signed link that expires
(`link`), served by the webhook server (bot/webhook.py, GET /files/<name>). A photo a person
sent is referred to as "zf:<name>" wherever Telegram's photos are referred to by file id.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from pathlib import Path

from telegram import InputFile

from bot.config import Settings

PREFIX = "zf:"  # a kept photo's reference, in reports and problems
_NAME = re.compile(r"[A-Za-z0-9_-]{16,64}\.[a-z0-9]{1,5}")


class FileStore:
    def __init__(self, settings: Settings) -> None:
        self.root = Path(settings.files_dir)
        self.public = settings.public_base_url
        self.ttl = settings.file_link_hours * 3600
        token = settings.zalo_token() or settings.token()
        self._key = hashlib.sha256(b"chibo-files:" + token.encode()).digest()

    def keep(self, data: bytes, suffix: str) -> str:
        """Store `data`; returns its name."""
        self.root.mkdir(parents=True, exist_ok=True)
        name = secrets.token_urlsafe(18) + "." + suffix.lstrip(".").lower()
        (self.root / name).write_bytes(data)
        return name

    def path(self, name: str) -> Path | None:
        """The file of a name kept here (None: not a kept name, or gone)."""
        if not _NAME.fullmatch(name):
            return None
        path = self.root / name
        return path if path.is_file() else None

    def link(self, name: str, now: float | None = None) -> str | None:
        """A link to the file that works until it expires; None without a public address."""
        if not self.public:
            return None
        expires = int((now or time.time()) + self.ttl)
        return f"{self.public}/files/{name}?e={expires}&s={self._sign(name, expires)}"

    def allowed(self, name: str, expires: str, signature: str, now: float | None = None) -> bool:
        """Whether a link's signature is right and it has not expired."""
        if not expires.isdigit() or int(expires) < (now or time.time()):
            return False
        return hmac.compare_digest(self._sign(name, int(expires)), signature)

    def _sign(self, name: str, expires: int) -> str:
        digest = hmac.new(self._key, f"{name}:{expires}".encode(), hashlib.sha256)
        return digest.hexdigest()[:32]


def photo_input(store: FileStore, ref: str) -> str | InputFile:
    """What to give Telegram's send_photo for a stored photo reference: Telegram's own file id
    as it is, a photo kept from Zalo as its bytes."""
    if not ref.startswith(PREFIX):
        return ref
    path = store.path(ref.removeprefix(PREFIX))
    return InputFile(path.read_bytes(), filename=path.name) if path else ref
