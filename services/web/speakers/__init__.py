"""Speakers and the moderator in the web (issue 15): the organiser's invitations, the speaker's
private page, their photos; the public event page lists those who confirmed."""

from litestar.types import ControllerRouterHandler

from services.web.speakers.organiser import SpeakersAdmin
from services.web.speakers.public import SpeakerPages

HANDLERS: list[ControllerRouterHandler] = [SpeakerPages, SpeakersAdmin]
