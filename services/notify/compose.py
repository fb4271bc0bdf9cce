"""A mail as the person reads it: text and HTML in their language, QR code, calendar invitation.

Texts are Jinja2 templates in `templates/mail/`, one per kind, whose message ids are
the French texts translated by the same catalog as the pages. Each template has a
`subject` block and a body; the HTML part is made from the text, so both always say
the same thing.
"""

import io
import re
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from functools import cache
from typing import Any
from urllib.parse import urlencode

import jinja2
import segno

from schemas.catalog import EventSpec
from schemas.notify import MailText
from schemas.registration import RegistrationView, short_code
from schemas.schedule import Change, Slot
from services.kit.i18n import Formatter, localised, translations
from services.kit.resources import shared_folder
from services.notify.invitation import build_invitation
from services.notify.messages import in_language
from services.notify.rules import AgendaNotice, MailOrder

TEMPLATES = shared_folder("templates")
QR_SCALE = 5
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


@cache
def environment(language: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html"], default_for_string=False, default=False),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,  # an included block keeps the blank line after it
        undefined=jinja2.StrictUndefined,
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    # The calendar subscription link opens the calendar app: clickable too.
    env.policies["urlize.extra_schemes"] = ["webcal://"]
    return env


def render_text(kind: str, language: str, context: dict[str, Any]) -> tuple[str, str]:
    """The subject and the text body of a mail of this kind."""
    template = environment(language).get_template(f"mail/{kind}.txt")
    subject = "".join(template.blocks["subject"](template.new_context(context))).strip()
    body = re.sub(r"\n{3,}", "\n\n", template.render(context)).strip() + "\n"
    return " ".join(subject.split()), body


def change_lines(notice: AgendaNotice | None, language: str, zone: str) -> list[dict[str, Any]]:
    """The changes of an agenda release as the mail words them, in the reader's language and the event's zone."""
    if notice is None:
        return []
    fmt = Formatter(language)
    rooms = {room.id: localised(room, "name", language) for room in notice.rooms}

    def room_name(slot: Slot | None) -> str:
        return rooms.get(slot.room, slot.room) if slot is not None and slot.room else ""

    def when(slot: Slot | None) -> str:
        if slot is None:
            return ""
        span = fmt.span(slot.starts_at, slot.ends_at, zone)
        return f"{span}, {room_name(slot)}" if slot.room else span

    def line(change: Change) -> dict[str, Any]:
        before, after = change.before, change.after
        words: dict[str, Any] = {
            "kind": change.kind,
            "title": localised(change, "title", language),
            "when": when(after or before),
            "room": room_name(after),
            "start_moved": False,
            "end_moved": False,
            "room_moved": False,
        }
        if before is not None and after is not None:
            same_day = fmt.local(before.starts_at, zone).date() == fmt.local(after.starts_at, zone).date()
            # Times alone within a day, with their dates across days.
            clock = fmt.time if same_day else fmt.datetime
            words |= {
                "start_moved": before.starts_at != after.starts_at,
                "end_moved": before.ends_at != after.ends_at,
                "room_moved": bool(after.room) and before.room != after.room,
                "same_day": same_day,
                "date": fmt.date(after.starts_at, zone),
                "before": clock(before.starts_at, zone),
                "after": clock(after.starts_at, zone),
                "ended": fmt.time(before.ends_at, zone),
                "ends": fmt.time(after.ends_at, zone),
            }
        return words

    return [line(change) for change in notice.changes]


def event_when(spec: EventSpec, language: str) -> str:
    """When the event is, with the time it starts: over several days, the span alone has only dates."""
    fmt, zone = Formatter(language), spec.timezone
    span = fmt.span(spec.starts_at, spec.ends_at, zone)
    if fmt.local(spec.starts_at, zone).date() == fmt.local(spec.ends_at, zone).date():
        return span  # « samedi 12 juin 2027, 9 h 00 – 18 h 00 »
    gettext = translations(language).gettext
    return gettext("%(span)s, début à %(time)s") % {"span": span, "time": fmt.time(spec.starts_at, zone)}


def webcal(url: str) -> str:
    """The same feed for calendar apps: webcal:// makes a phone offer to subscribe."""
    return "webcal://" + url.partition("://")[2]


def _jury_note(order: MailOrder, language: str) -> str:
    if order.results is None:
        return ""
    return order.results.note_en if language == "en" and order.results.note_en else order.results.note


def paragraphs(text: str) -> list[list[str]]:
    return [block.splitlines() for block in text.strip().split("\n\n") if block.strip()]


def ascii_address(email: str) -> str:
    """The address as mail headers carry it: an accented domain in its IDNA form (xn--...)."""
    local, _, domain = email.strip().rpartition("@")
    return f"{local}@{domain.encode('idna').decode('ascii')}" if local else email.strip()


def _display_name(name: str) -> str:
    # A name is the person's own text: no line breaks may reach a header.
    return " ".join(_CONTROL.sub(" ", name).split())


class Composer:
    def __init__(self, base_url: str, organisation: str, mail_from: str, reply_to: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.organisation = organisation
        self.mail_from = mail_from
        self.reply_to = reply_to
        address = parseaddr(mail_from)[1]
        self.domain = address.rpartition("@")[2] or "perche.local"

    def links(self, view: RegistrationView) -> dict[str, str]:
        base = self.base_url
        calendar_url = f"{base}/r/{view.id}/calendar.ics?token={view.calendar_token}"
        return {
            # Short enough for a phone's screen and for mail clients that break long lines; the
            # web's /m/<code> opens the private page /r/<id>?token=<token> (which works too).
            "manage_url": f"{base}/m/{short_code(view.manage_token)}",
            "calendar_url": calendar_url,
            "webcal_url": webcal(calendar_url),
            "event_url": f"{base}/e/{view.event}",
            "results_url": f"{base}/e/{view.event}/results",
            # The organiser's phone camera opens this on the check-in page, like the page's QR code.
            "check_in_url": f"{base}/organiser/e/{view.event}/checkin?code={view.id}",
            # The participant's team page, in their language (services/web/teams/public.py).
            "team_url": f"{base}/r/{view.id}/team?"
            + urlencode({"token": view.manage_token, **({"lang": "en"} if view.language == "en" else {})}),
        }

    def context(self, order: MailOrder, view: RegistrationView, spec: EventSpec) -> dict[str, Any]:
        language = view.language
        fmt = Formatter(language)
        category = spec.category(view.category)
        venue = spec.venue.name + (f", {spec.venue.address}" if spec.venue.address else "")
        expires = order.offer_expires_at or view.offer_expires_at
        return {
            "lang": language,
            "name": _display_name(view.name),
            "title": localised(spec, "title", language),
            "when": event_when(spec, language),
            "date": fmt.date(spec.starts_at, spec.timezone),
            "where": venue,
            "category": localised(category, "name", language) if category else view.category,
            "code": view.id,
            "position": view.position,
            "offer_hours": spec.waitlist_offer_hours,
            "deadline": fmt.datetime(expires, spec.timezone) if expires else "",
            "by_organiser": order.by_organiser,
            "invitation": order.invitation,
            "organisation": self.organisation,
            "changes": change_lines(order.agenda, language, spec.timezone),
            "note": localised(order.agenda, "note", language) if order.agenda else "",
            "podium": [(line.rank, line.team_name) for line in order.results.lines] if order.results else [],
            "jury_note": _jury_note(order, language),
            "juror": spec.audience_of(view.category) == "jurors",
            "jury_url": order.jury_url,
            **self.message_words(order, language),
            **self.team_words(order, spec, language),
            **self.links(view),
        }

    @staticmethod
    def team_words(order: MailOrder, spec: EventSpec, language: str) -> dict[str, Any]:
        """The team of a confirmed formation as its member reads it: teammates by first name only."""
        team = order.team
        challenge = next((c for c in spec.challenges if team is not None and c.id == team.challenge), None)
        return {
            "team_name": team.name if team else "",
            "team_code": team.code if team else "",
            "teammates": list(team.first_names) if team else [],
            "challenge_title": localised(challenge, "title", language) if challenge else "",
            "challenge_partner": challenge.partner if challenge else "",
        }

    @staticmethod
    def message_words(order: MailOrder, language: str) -> dict[str, str]:
        """An organiser's message as its reader gets it: their words as written, plain text."""
        if order.message is None:
            return {"message_subject": "", "message_body": ""}
        subject, body = in_language(order.message, language)
        return {"message_subject": subject, "message_body": body}

    def preview(self, order: MailOrder, spec: EventSpec, language: str) -> MailText:
        """The mail as a reader of `language` gets it, with a stand-in for their name and links."""
        gettext = translations(language).gettext
        context = {
            "lang": language,
            "name": gettext("Prénom Nom"),
            "title": localised(spec, "title", language),
            "when": event_when(spec, language),
            "organisation": self.organisation,
            "manage_url": f"{self.base_url}/m/…",
            **self.message_words(order, language),
        }
        subject, text = render_text(order.kind, language, context)
        return MailText(subject=subject, text=text)

    def compose(self, order: MailOrder, view: RegistrationView, spec: EventSpec, now: datetime) -> EmailMessage:
        context = self.context(order, view, spec)
        subject, text = render_text(order.kind, view.language, context)
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = self.mail_from
        if self.reply_to and parseaddr(self.reply_to)[1] != parseaddr(self.mail_from)[1]:
            message["Reply-To"] = self.reply_to  # the organisers, when the sender is not read
        message["To"] = Address(display_name=context["name"], addr_spec=ascii_address(view.email))
        message["Date"] = format_datetime(now)
        # The same mail always has the same Message-ID, so a resend can be recognised.
        message["Message-ID"] = f"<{order.mail_id}@{self.domain}>"
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no holiday auto-replies
        message["X-Perche-Mail-Id"] = order.mail_id
        message["X-Perche-Kind"] = order.kind
        message["X-Perche-Registration"] = view.id
        message["X-Perche-Event"] = view.event
        message.set_content(text)
        if order.kind == "message":
            # The organiser's own words: plain text only, never made into HTML.
            message["Content-Language"] = view.language
            return message

        with_qr = order.kind in ("confirmed", "promoted", "reminder") and view.status == "confirmed"
        qr_cid = f"qr.{order.mail_id}@{self.domain}" if with_qr else ""
        qr = segno.make(context["check_in_url"], error="m")
        html = (
            environment(view.language)
            .get_template("mail/layout.html")
            .render(
                lang=view.language,
                subject=subject,
                paragraphs=paragraphs(text),
                qr_cid=qr_cid,
                qr_size=qr.symbol_size(scale=QR_SCALE)[0],
                code=view.id,
            )
        )
        message.add_alternative(html, subtype="html")
        if with_qr:
            png = io.BytesIO()
            qr.save(png, kind="png", scale=QR_SCALE)
            html_part = message.get_payload()[1]  # type: ignore[index]
            assert isinstance(html_part, EmailMessage)
            html_part.add_related(png.getvalue(), maintype="image", subtype="png", cid=f"<{qr_cid}>")

        if order.invitation is not None:
            ics = build_invitation(
                spec,
                view.id,
                language=view.language,
                method=order.invitation,
                stamp=order.at or now,
                organiser=self.mail_from,
                organiser_name=self.organisation,
                url=context["manage_url"],
                description=translations(view.language).gettext(
                    "Pour consulter, modifier ou annuler votre inscription : %(url)s"
                )
                % {"url": context["manage_url"]},
            )
            message.add_attachment(
                ics,
                maintype="text",
                subtype="calendar",
                filename="invitation.ics",
                params={"method": "CANCEL" if order.invitation == "cancel" else "PUBLISH", "charset": "utf-8"},
            )
        # Set last: adding parts moves the Content-* headers set before into the first part.
        message["Content-Language"] = view.language
        return message
