"""Mails sent in reaction to other services' events."""
