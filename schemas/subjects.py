"""Every NATS subject Perche uses, in one place (perche.<service>.cmd|q|evt...)."""

from typing import Final

SERVICES: Final = (
    "catalog",
    "registration",
    "teams",
    "schedule",
    "judging",
    "publishing",
    "notify",
    "qa",
)


def stream_name(service: str) -> str:
    """The JetStream stream a service owns, e.g. ``PERCHE_REGISTRATION``."""
    return f"PERCHE_{service.upper()}"


def events_of(service: str) -> str:
    """Wildcard covering every event a service appends to its stream."""
    return f"perche.{service}.evt.>"


def health_of(service: str) -> str:
    """The query every service answers with whether it can write now (for `/healthz`)."""
    return f"perche.{service}.q.health"


def token(value: str) -> str:
    """Make a value safe as one subject token (slugs and ids are already safe)."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in value) or "_"


class Catalog:
    DEFINE_EVENT: Final = "perche.catalog.cmd.define_event"
    COPY_EVENT: Final = "perche.catalog.cmd.copy_event"
    CHANGE_EVENT_STATUS: Final = "perche.catalog.cmd.change_event_status"
    LIST_EVENTS: Final = "perche.catalog.q.list_events"
    GET_EVENT: Final = "perche.catalog.q.get_event"
    CREATE_ORGANISER: Final = "perche.catalog.cmd.create_organiser"
    AUTHENTICATE: Final = "perche.catalog.q.authenticate"
    COUNT_ORGANISERS: Final = "perche.catalog.q.count_organisers"
    CHECK_SESSION: Final = "perche.catalog.q.check_session"
    END_SESSION: Final = "perche.catalog.cmd.end_session"
    CHANGE_PASSWORD: Final = "perche.catalog.cmd.change_password"
    DEFINITION_HISTORY: Final = "perche.catalog.q.definition_history"
    NAME_ORGANISERS: Final = "perche.catalog.q.name_organisers"
    # Accounts (schemas/accounts.py): invitations, resets, log out everywhere, two-step login.
    INVITE_ORGANISER: Final = "perche.catalog.cmd.invite_organiser"
    OPEN_LINK: Final = "perche.catalog.q.open_link"
    ACCEPT_INVITATION: Final = "perche.catalog.cmd.accept_invitation"
    REQUEST_PASSWORD_RESET: Final = "perche.catalog.cmd.request_password_reset"
    RESET_PASSWORD: Final = "perche.catalog.cmd.reset_password"
    END_EVERY_SESSION: Final = "perche.catalog.cmd.end_every_session"
    GET_TWO_STEP: Final = "perche.catalog.q.get_two_step"
    START_TWO_STEP: Final = "perche.catalog.cmd.start_two_step"
    CONFIRM_TWO_STEP: Final = "perche.catalog.cmd.confirm_two_step"
    DISABLE_TWO_STEP: Final = "perche.catalog.cmd.disable_two_step"
    VERIFY_SECOND_STEP: Final = "perche.catalog.q.verify_second_step"
    DEFINE_ORGANISATION: Final = "perche.catalog.cmd.define_organisation"
    GRANT_MEMBER: Final = "perche.catalog.cmd.grant_member"
    REVOKE_MEMBER: Final = "perche.catalog.cmd.revoke_member"
    CHANGE_ORGANISATION_SETTINGS: Final = "perche.catalog.cmd.change_organisation_settings"
    ISSUE_API_TOKEN: Final = "perche.catalog.cmd.issue_api_token"
    REVOKE_API_TOKEN: Final = "perche.catalog.cmd.revoke_api_token"
    LIST_ORGANISATIONS: Final = "perche.catalog.q.list_organisations"
    GET_ORGANISATION: Final = "perche.catalog.q.get_organisation"
    CHECK_API_TOKEN: Final = "perche.catalog.q.check_api_token"

    @staticmethod
    def event_subject(slug: str) -> str:
        return f"perche.catalog.evt.event.{token(slug)}"

    @staticmethod
    def organiser_subject(organiser_id: str) -> str:
        return f"perche.catalog.evt.organiser.{token(organiser_id)}"

    @staticmethod
    def organisation_subject(slug: str) -> str:
        return f"perche.catalog.evt.organisation.{token(slug)}"


class Registration:
    REGISTER: Final = "perche.registration.cmd.register"
    CANCEL: Final = "perche.registration.cmd.cancel"
    LIST: Final = "perche.registration.q.list"
    GET: Final = "perche.registration.q.get"
    COUNTS: Final = "perche.registration.q.counts"

    CLAIM: Final = "perche.registration.cmd.claim"
    PROMOTE: Final = "perche.registration.cmd.promote"
    UPDATE_ANSWERS: Final = "perche.registration.cmd.update_answers"
    CHECK_IN: Final = "perche.registration.cmd.check_in"
    ERASE: Final = "perche.registration.cmd.erase"
    EXPORT: Final = "perche.registration.q.export"
    FIND: Final = "perche.registration.q.find"
    # Checks a private calendar link (its calendar token), for the personal iCal feed.
    CALENDAR: Final = "perche.registration.q.calendar"
    # Opens a short link (`/m/<code>`) to a registration's private page.
    SHORT_LINK: Final = "perche.registration.q.short_link"
    # What organisers did to an event's people (cancelled, promoted, checked in, erased), from the stream.
    HISTORY: Final = "perche.registration.q.history"

    @staticmethod
    def event_events(slug: str) -> str:
        """Every event of one Perche event in the registration stream (seats, waitlists, people)."""
        return f"perche.registration.evt.{token(slug)}.>"

    # Each seat is its own aggregate: claiming it appends with an expected subject
    # sequence, so two writers can never hold the same seat and capacity is exact.
    @staticmethod
    def seat_subject(slug: str, category: str, seat: int) -> str:
        return f"perche.registration.evt.{token(slug)}.seat.{token(category)}.{seat}"

    @staticmethod
    def waitlist_subject(slug: str, category: str) -> str:
        return f"perche.registration.evt.{token(slug)}.wait.{token(category)}"

    @staticmethod
    def person_subject(slug: str, registration_id: str) -> str:
        return f"perche.registration.evt.{token(slug)}.person.{token(registration_id)}"

    # Announced (not stored) when a registration's status changes (cancelled, offer lapsed,
    # confirmed, erased), so web instances forget the calendar link they checked:
    # perche.registration.changed.<slug>.<registration id>.
    HOLDER_CHANGED_ANY: Final = "perche.registration.changed.*.*"

    @staticmethod
    def holder_changed(slug: str, registration_id: str) -> str:
        return f"perche.registration.changed.{token(slug)}.{token(registration_id)}"


class Schedule:
    EDIT: Final = "perche.schedule.cmd.edit"
    GENERATE_ROUNDS: Final = "perche.schedule.cmd.generate_rounds"
    RELEASE: Final = "perche.schedule.cmd.release"
    DRAFT: Final = "perche.schedule.q.draft"
    AGENDA: Final = "perche.schedule.q.agenda"
    VERSION: Final = "perche.schedule.q.version"
    RELEASES: Final = "perche.schedule.q.releases"
    FEED: Final = "perche.schedule.q.feed"
    # Speakers and the moderator (issue 15): invitations, their answers, the public list.
    INVITE_SPEAKER: Final = "perche.schedule.cmd.invite_speaker"
    ANSWER_INVITATION: Final = "perche.schedule.cmd.answer_invitation"
    WITHDRAW_INVITATION: Final = "perche.schedule.cmd.withdraw_invitation"
    INVITATION: Final = "perche.schedule.q.invitation"
    INVITATIONS: Final = "perche.schedule.q.invitations"
    SPEAKERS: Final = "perche.schedule.q.speakers"
    # Speakers' photos, resized (this service's only writer), and the uploads the web drops for it.
    PHOTOS_BUCKET: Final = "perche_speaker_photos"
    UPLOADS_BUCKET: Final = "perche_speaker_uploads"
    # Each invitation's address and link key, for the reminder (personal: never in the stream,
    # deleted when the invitation is withdrawn).
    LINKS_BUCKET: Final = "perche_speaker_links"

    @staticmethod
    def photo_object(slug: str, invitation: str, sha256: str) -> str:
        return f"{slug}/{invitation}/{sha256}"

    @staticmethod
    def speakers_subject(slug: str) -> str:
        return f"perche.schedule.evt.{token(slug)}.speakers"

    # Announced (not stored) once a release or a change of the event is applied, so
    # caches and live screens refresh at once: perche.schedule.changed.<slug>.
    CHANGED_ANY: Final = "perche.schedule.changed.*"

    @staticmethod
    def changed(slug: str) -> str:
        return f"perche.schedule.changed.{token(slug)}"

    # One aggregate per event: the draft and its releases, so every write is ordered.
    @staticmethod
    def agenda_subject(slug: str) -> str:
        return f"perche.schedule.evt.{token(slug)}.agenda"


class Teams:
    CREATE: Final = "perche.teams.cmd.create"
    JOIN: Final = "perche.teams.cmd.join"
    LEAVE: Final = "perche.teams.cmd.leave"
    DISBAND: Final = "perche.teams.cmd.disband"
    LIST: Final = "perche.teams.q.list"
    # The team of one registration (or none), for the participant's own page.
    MEMBERSHIP: Final = "perche.teams.q.membership"
    # Placements and removals by organisers, read from the stream.
    HISTORY: Final = "perche.teams.q.history"
    # Formation (issue 13): links between people, the draft proposal and its confirmation.
    LINK: Final = "perche.teams.cmd.link"
    UNLINK: Final = "perche.teams.cmd.unlink"
    PROPOSE: Final = "perche.teams.cmd.propose"
    MOVE: Final = "perche.teams.cmd.move"
    LOCK: Final = "perche.teams.cmd.lock"
    CONFIRM: Final = "perche.teams.cmd.confirm"
    DISCARD: Final = "perche.teams.cmd.discard"
    PROPOSAL: Final = "perche.teams.q.proposal"
    # Projects (issue 14): a member describes the team's project; jurors and organisers read them.
    DESCRIBE: Final = "perche.teams.cmd.describe"
    PROJECTS: Final = "perche.teams.q.projects"
    # Object stores of the teams service: project photos (its own, named by photo_object), and
    # uploads the web drops for it to check and move (forgotten after an hour).
    PHOTOS_BUCKET: Final = "perche_team_photos"
    UPLOADS_BUCKET: Final = "perche_team_uploads"

    @staticmethod
    def photo_object(slug: str, team_id: str, sha256: str) -> str:
        return f"{slug}/{team_id}/{sha256}"

    # One aggregate per event: every team change is ordered, so team size and
    # « one team per person » hold under concurrent requests.
    @staticmethod
    def event_subject(slug: str) -> str:
        return f"perche.teams.evt.{token(slug)}.teams"


class Judging:
    SCORE: Final = "perche.judging.cmd.score"
    WITHDRAW: Final = "perche.judging.cmd.withdraw"
    ABSENT: Final = "perche.judging.cmd.absent"
    FEEDBACK: Final = "perche.judging.cmd.feedback"
    ASSIGN: Final = "perche.judging.cmd.assign"
    CLOSE: Final = "perche.judging.cmd.close"
    REOPEN: Final = "perche.judging.cmd.reopen"
    # The organiser imports the paper sheets as one CSV file (schemas/judging.py ImportScores).
    IMPORT: Final = "perche.judging.cmd.import"
    # The organiser gives a juror the challenges (tracks) they judge (schemas/judging.py GiveTracks).
    TRACKS: Final = "perche.judging.cmd.tracks"
    # A conflict of interest declared (or lifted by the organiser), and the event's conflicts.
    CONFLICT: Final = "perche.judging.cmd.conflict"
    CONFLICTS: Final = "perche.judging.q.conflicts"
    SHEET: Final = "perche.judging.q.sheet"
    SHEETS: Final = "perche.judging.q.sheets"
    STANDINGS: Final = "perche.judging.q.standings"
    # Announced (not stored) once a score, an assignment or the closing is applied, so the
    # organiser's live standings refresh at once: perche.judging.changed.<slug>. A lost
    # announcement only delays a refresh (the page reloads, the stream reconnects).
    CHANGED_ANY: Final = "perche.judging.changed.*"

    @staticmethod
    def changed(slug: str) -> str:
        return f"perche.judging.changed.{token(slug)}"

    # One aggregate per event: one score per juror/team/criterion and « closed »
    # are decided on the same ordered state.
    @staticmethod
    def event_subject(slug: str) -> str:
        return f"perche.judging.evt.{token(slug)}.scores"


class Publishing:
    PUBLISH: Final = "perche.publishing.cmd.publish"
    WITHDRAW: Final = "perche.publishing.cmd.withdraw"
    RESULTS: Final = "perche.publishing.q.results"
    # Announced (not stored) once results are published or withdrawn, for the venue screen.
    CHANGED_ANY: Final = "perche.publishing.changed.*"

    @staticmethod
    def changed(slug: str) -> str:
        return f"perche.publishing.changed.{token(slug)}"

    @staticmethod
    def event_subject(slug: str) -> str:
        return f"perche.publishing.evt.{token(slug)}.results"


class Qa:
    """The audience Q&A (schemas/qa.py)."""

    SET_PHASE: Final = "perche.qa.cmd.set_phase"
    ASK: Final = "perche.qa.cmd.ask"
    VOTE: Final = "perche.qa.cmd.vote"
    MODERATE: Final = "perche.qa.cmd.moderate"
    EDIT: Final = "perche.qa.cmd.edit"
    MERGE: Final = "perche.qa.cmd.merge"
    # The live poll: a moderator creates, opens and closes it; the room votes.
    CREATE_POLL: Final = "perche.qa.cmd.create_poll"
    SET_POLL_STATE: Final = "perche.qa.cmd.set_poll_state"
    VOTE_POLL: Final = "perche.qa.cmd.vote_poll"
    # After the event, the organiser publishes its record (a summary and the answered questions).
    PUBLISH_RECORD: Final = "perche.qa.cmd.publish_record"
    # What the room and the projector may see (approved and answered questions only).
    PUBLIC: Final = "perche.qa.q.public"
    # Everything, for the moderators.
    MODERATION: Final = "perche.qa.q.moderation"
    # The published record alone, for the event page (no list of the room's questions).
    RECORD: Final = "perche.qa.q.record"
    # Announced (not stored) once a change is applied, so the moderator's tablet, the
    # projector and the audience page refresh at once: perche.qa.changed.<slug>.
    CHANGED_ANY: Final = "perche.qa.changed.*"

    @staticmethod
    def changed(slug: str) -> str:
        return f"perche.qa.changed.{token(slug)}"

    # One aggregate per event: « one vote per person and question » is decided on one ordered state.
    @staticmethod
    def event_subject(slug: str) -> str:
        return f"perche.qa.evt.{token(slug)}.session"


class Notify:
    # The organisers send jurors their scoring links (signed by the web) by mail.
    SEND_JURY_LINKS: Final = "perche.notify.cmd.send_jury_links"
    # The organisers write to an event's registrants: preview, then send.
    SEND_MESSAGE: Final = "perche.notify.cmd.send_message"
    PREVIEW_MESSAGE: Final = "perche.notify.q.preview_message"
    LIST_MAILS: Final = "perche.notify.q.list_mails"
    GET_MAIL: Final = "perche.notify.q.get_mail"
    # Whom publishing the draft would mail, for the release screen.
    RELEASE_RECIPIENTS: Final = "perche.notify.q.release_recipients"
    # The catalog mails an invitation or a password reset link (schemas/accounts.py).
    SEND_ACCOUNT_MAIL: Final = "perche.notify.cmd.send_account_mail"
    # The schedule service asks: a speaker's invitation with their private link (issue 15).
    SEND_SPEAKER_INVITATION: Final = "perche.notify.cmd.send_speaker_invitation"
    # The durable consumer notify reads the registration stream with, shared by its instances.
    REGISTRATION_CONSUMER: Final = "perche-notify-registration"
    # The same for the schedule stream: each agenda release tells the people it concerns.
    SCHEDULE_CONSUMER: Final = "perche-notify-schedule"
    # And for the publishing stream: everyone registered hears when the results are out.
    PUBLISHING_CONSUMER: Final = "perche-notify-publishing"
    # And for the teams stream: each member of a confirmed proposal hears of their team.
    TEAMS_CONSUMER: Final = "perche-notify-teams"

    # One aggregate per mail: claiming it expects its last sequence, so one instance sends it.
    @staticmethod
    def mail_subject(mail_id: str) -> str:
        return f"perche.notify.evt.mail.{token(mail_id)}"


class Web:
    SECRETS_BUCKET: Final = "perche_web_secrets"
    # Per-address counts of public POSTs, shared by every web instance (services/web/rate_limit.py).
    RATE_LIMITS_BUCKET: Final = "perche_rate_limits"


class DeadLetters:
    """What no service could read, kept apart (schemas/dead_letters.py). Every service writes here,
    each only under its own name, and each message of a stream once: its subject names it."""

    STREAM: Final = "PERCHE_DEAD_LETTERS"
    SUBJECTS: Final = "perche.dead.>"

    @staticmethod
    def of(service: str) -> str:
        return f"perche.dead.{token(service)}.>"

    @staticmethod
    def subject(service: str, stream: str, sequence: int) -> str:
        """One subject per service and original message: appending it expects none before (create once)."""
        return f"perche.dead.{token(service)}.{token(stream)}.{sequence}"
