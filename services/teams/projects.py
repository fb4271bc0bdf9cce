"""Pure rules of projects (issue 14): a team's members describe what they make, until the deadline.

Like services/teams/rules.py, nothing here touches the network or the clock: the service passes
`now`, the event's definition, and the photo it read from an upload (checked here by its first
bytes), and appends the one event a decision returns (None: a repeat, whose first outcome stands).
"""

import hashlib
import unicodedata
from datetime import datetime
from urllib.parse import urlsplit

import msgspec

from schemas.catalog import EventSpec
from schemas.errors import Rejected
from schemas.teams import (
    MAX_PROJECT_LINK,
    MAX_PROJECT_LINKS,
    MAX_PROJECT_PHOTO,
    MAX_PROJECT_SUMMARY,
    MAX_PROJECT_TITLE,
    DescribeProject,
    ProjectDescribed,
    ProjectList,
    ProjectPhoto,
)
from services.kit.photos import photo_type
from services.teams.rules import PROJECT_MARK, TeamsState, check_not_frozen, live_team, repeated


# The first bytes of each image kind a project may show; anything else is refused, whatever its name says.
def request_digest(command: DescribeProject) -> str:
    """What the command asks (all but its id), so a repeat with another request is refused."""
    asked = msgspec.structs.replace(command, command_id="-" * 8)
    return hashlib.sha256(msgspec.json.encode(asked)).hexdigest()


def deadline_of(spec: EventSpec) -> datetime:
    """Projects may be written until the organiser's deadline, or else until the event ends."""
    return spec.project_deadline or spec.ends_at


def projects_open(state: TeamsState, spec: EventSpec, now: datetime) -> bool:
    return now < deadline_of(spec) and now < spec.ends_at and not state.frozen(spec.slug)


def project_list(state: TeamsState, spec: EventSpec, now: datetime) -> ProjectList:
    teams = state.of(spec.slug)
    return ProjectList(
        event=spec.slug,
        deadline=spec.project_deadline,
        open=projects_open(state, spec, now),
        projects={t.id: teams.projects[t.id] for t in teams.live() if t.id in teams.projects},
    )


def photo_of(data: bytes) -> ProjectPhoto:
    """The photo an upload holds, or why it cannot be one."""
    if len(data) > MAX_PROJECT_PHOTO:
        raise Rejected("invalid", "The photo is over 2 MB", "photo", key="project_photo_too_big")
    kind = photo_type(data[:16])
    if kind is None:
        raise Rejected("invalid", "The photo must be a JPEG, PNG or WebP image", "photo", key="project_photo_type")
    return ProjectPhoto(content_type=kind, size=len(data), sha256=hashlib.sha256(data).hexdigest())


def _text(value: str) -> str:
    """Lines as typed, without control characters other than line breaks, trimmed."""
    lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept = ["".join(c for c in line if unicodedata.category(c) != "Cc").rstrip() for line in lines]
    return "\n".join(kept).strip()


def checked_link(link: str) -> str:
    """An http(s) address with a host, nothing else (no javascript:, data:, file:...)."""
    text = link.strip()
    if len(text) > MAX_PROJECT_LINK:
        raise Rejected("invalid", "A link is over 500 characters", "links", key="project_link_too_long")
    parts = urlsplit(text)
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() or unicodedata.category(c) == "Cc" for c in text)
    ):
        raise Rejected("invalid", f"Not a web address (http or https): {text[:80]!r}", "links", key="project_link_bad")
    return text


def decide_describe(
    state: TeamsState,
    spec: EventSpec | None,
    command: DescribeProject,
    now: datetime,
    uploaded: ProjectPhoto | None = None,
) -> ProjectDescribed | None:
    """The project as a member wrote it; None when this command was already applied.

    `uploaded` is the photo the service read from `command.photo_upload` (checked by `photo_of`);
    without an upload the team's photo stays, unless the command removes it.
    """
    if repeated(state, command.command_id, command.event, PROJECT_MARK, request_digest(command)):
        return None
    if spec is None:
        raise Rejected("not_found", f"No event {command.event!r}", "event", key="event_not_found")
    if now >= deadline_of(spec) or now >= spec.ends_at:
        raise Rejected("conflict", "The deadline for projects has passed", key="project_deadline_passed")
    check_not_frozen(state, spec.slug, None, correction=False)
    team = live_team(state, spec, command.team_id)
    mine = state.team_of(spec.slug, command.by_registration)
    if mine is None or mine.id != team.id:
        raise Rejected(
            "conflict", "Only the team's members can describe its project", "team_id", key="project_not_member"
        )
    title = " ".join(_text(command.title).split())
    if not title:
        raise Rejected("invalid", "Give the project a title", "title", key="project_title_required")
    if len(title) > MAX_PROJECT_TITLE:
        raise Rejected("invalid", "The title is over 120 characters", "title", key="project_title_too_long")
    summary_fr, summary_en = _text(command.summary_fr), _text(command.summary_en)
    if not summary_fr and not summary_en:
        raise Rejected("invalid", "Describe the project in a few lines", "summary_fr", key="project_summary_required")
    for name, summary in (("summary_fr", summary_fr), ("summary_en", summary_en)):
        if len(summary) > MAX_PROJECT_SUMMARY:
            raise Rejected("invalid", "A summary is over 2000 characters", name, key="project_summary_too_long")
    asked = [link for link in command.links if link.strip()]
    if len(asked) > MAX_PROJECT_LINKS:
        raise Rejected("invalid", "At most 5 links", "links", key="project_too_many_links")
    links = [checked_link(link) for link in asked]
    if command.photo_upload is not None and uploaded is None:
        raise Rejected("invalid", "The photo could not be read: send it again", "photo", key="project_photo_type")
    before = state.of(spec.slug).projects.get(team.id)
    photo = uploaded if command.photo_upload else None if command.remove_photo or before is None else before.photo
    return ProjectDescribed(
        command_id=command.command_id,
        event=spec.slug,
        team_id=team.id,
        by_registration=command.by_registration,
        title=title,
        summary_fr=summary_fr,
        summary_en=summary_en,
        links=links,
        photo=photo,
        request=request_digest(command),
        at=now,
    )
