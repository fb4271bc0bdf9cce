"""Checks every boundary shares (forms, API, services), kept next to the messages they guard."""

import hmac
import re
import unicodedata

_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;.]{2,}$")


def looks_like_email(value: str) -> bool:
    # Accents are welcome in the domain (café.fr is sent as xn--caf-dma.fr), not before the @:
    # few mail servers accept them there, and a confirmation that never arrives helps no one.
    return bool(_EMAIL.match(value)) and len(value) <= 254 and value.partition("@")[0].isascii()


def normalise_email(value: str) -> str:
    return value.strip().lower()


def without_accents(text: str) -> str:
    """« Hélène Lefèvre » → « Helene Lefevre »: for searching, comparing names and making slugs."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def same_secret(given: str, expected: str) -> bool:
    """Compare a token someone sent with ours in constant time; any text is welcome, not just ASCII
    (hmac.compare_digest raises TypeError on non-ASCII str, which would be a 500 from anyone's input)."""
    return hmac.compare_digest(given.encode(), expected.encode())
