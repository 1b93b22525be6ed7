"""Privacy at rest: seekers' names and phone numbers are stored encrypted (Fernet), and the
phone number also as a keyed hash (HMAC-SHA256) so duplicates are found without decrypting.

The secret comes from the setting ``ITDA_SECRET_KEY`` or, when it is not set, from
``<ITDA_DATA_DIR>/secret.key``, generated on first start with mode 0600. It is never stored in
the database. Two independent keys (encryption and hashing) are derived from the one secret with
HKDF, so the hash key cannot decrypt and the other way round.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SECRET_FILE = "secret.key"


class CipherError(ValueError):
    """A stored value cannot be decrypted with this key (wrong key or damaged data)."""


def _derive(secret: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"itda", info=label).derive(secret)


class Cipher:
    """Encrypts and decrypts short text; hashes with a key for look-ups."""

    def __init__(self, secret: str) -> None:
        if len(secret.strip()) < 16:
            raise ValueError("the secret key must be at least 16 characters")
        raw = secret.strip().encode()
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(raw, b"itda-encrypt")))
        self._hash_key = _derive(raw, b"itda-lookup")

    def encrypt(self, text: str) -> str:
        return self._fernet.encrypt(text.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except (InvalidToken, ValueError) as exc:
            raise CipherError("value cannot be decrypted with this key") from exc

    def keyed_hash(self, text: str) -> str:
        return hmac.new(self._hash_key, text.encode(), hashlib.sha256).hexdigest()


def load_secret(*, configured: str | None, data_dir: Path) -> str:
    """The configured secret, or the one kept in the data folder (created on first use)."""
    if configured and configured.strip():
        return configured.strip()
    path = data_dir / SECRET_FILE
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    # O_EXCL: two processes starting at once cannot both write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secret + "\n")
    return secret
