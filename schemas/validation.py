"""Checks every boundary shares (forms, API, services), kept next to the messages they guard."""

import re

_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;.]{2,}$")


def looks_like_email(value: str) -> bool:
    return bool(_EMAIL.match(value)) and len(value) <= 254


def normalise_email(value: str) -> str:
    return value.strip().lower()
