"""The typed error every service answers with; ``web`` maps ``code`` to an HTTP status."""

from typing import Literal

import msgspec

ErrorCode = Literal[
    "invalid",  # the request itself is malformed or breaks a rule of its fields
    "not_found",
    "conflict",  # the state does not allow it (closed, already cancelled, ...)
    "unauthorized",
    "forbidden",
    "rate_limited",  # too many attempts in a short time (failed logins of one account)
    "unavailable",  # a dependency did not answer in time
    "internal",
]


# Every error key a reply may carry. Pages show each in the reader's language (services/web/errors.py
# holds the texts; a test fails when a key has none in French or English). A new refusal adds its key here.
ErrorKey = Literal[
    "address_throttled",
    "agenda_bad_number",
    "agenda_bad_time",
    "agenda_ends_first",
    "agenda_has_conflicts",
    "agenda_name_required",
    "agenda_no_session",
    "agenda_still_used",
    "agenda_title_required",
    "agenda_unchanged",
    "agenda_unknown_person",
    "agenda_unknown_room",
    "agenda_unknown_team",
    "already_cancelled",
    "already_checked_in",
    "already_confirmed",
    "answer_not_a_choice",
    "answer_ranked_twice",
    "answer_required",
    "answer_too_long",
    "answer_too_many_ranked",
    "answer_wrong_kind",
    "bad_token",
    "closed",
    "command_id_reused",
    "consent_required",
    "door_needs_events",
    "email_invalid",
    "erased",
    "event_ends_first",
    "event_exists",
    "event_not_found",
    "event_not_in_organisation",
    "event_one_default",
    "event_unknown_timezone",
    "formation_above_event",
    "formation_changed",
    "formation_if_needed",
    "formation_levels_count",
    "formation_locked",
    "formation_no_proposal",
    "formation_nobody",
    "formation_not_proposed",
    "formation_sizes",
    "formation_unknown_choice",
    "formation_unknown_question",
    "formation_unknown_team",
    "formation_wrong_kind",
    "id_used_twice",
    "idempotency_key_reused",
    "invitation_expired",
    "invitation_unknown",
    "invitation_used",
    "judging_absent_by",
    "judging_absent_undo",
    "judging_closed",
    "judging_conflict",
    "judging_conflict_assign",
    "judging_conflict_automatic",
    "judging_conflict_by",
    "judging_conflict_undo",
    "judging_csv_conflict",
    "judging_csv_columns",
    "judging_csv_duplicate",
    "judging_csv_empty_cell",
    "judging_csv_no_rows",
    "judging_csv_not_a_number",
    "judging_csv_not_assigned",
    "judging_csv_not_whole",
    "judging_csv_off_scale",
    "judging_csv_team_absent",
    "judging_csv_unknown_criterion",
    "judging_csv_unknown_juror",
    "judging_csv_unknown_team",
    "judging_csv_unreadable",
    "judging_no_criterion",
    "judging_no_score",
    "judging_no_team",
    "judging_no_track",
    "judging_none",
    "judging_not_assigned",
    "judging_points_range",
    "judging_team_absent",
    "last_owner",
    "link_contradicts",
    "link_not_found",
    "link_same_person",
    "login_throttled",
    "mail_not_found",
    "mail_requests_throttled",
    "message_audience_unknown",
    "message_body_required",
    "message_nobody",
    "message_subject_required",
    "name_required",
    "no_free_seat",
    "no_offer",
    "not_confirmed",
    "not_open_yet",
    "offer_expired",
    "organisation_exists",
    "organisation_not_found",
    "organiser_not_found",
    "password_too_short",
    "project_deadline_passed",
    "project_link_bad",
    "project_link_too_long",
    "project_not_member",
    "project_photo_lost",
    "project_photo_too_big",
    "project_photo_type",
    "project_summary_required",
    "project_summary_too_long",
    "project_title_required",
    "project_title_too_long",
    "project_too_many_links",
    "qa_already_voted",
    "speaker_availability_bad",
    "speaker_bio_too_long",
    "speaker_email_invalid",
    "speaker_link_expired",
    "speaker_link_unknown",
    "speaker_link_withdrawn",
    "speaker_name_required",
    "speaker_title_too_long",
    "qa_closed",
    "qa_full",
    "qa_merge_itself",
    "qa_merge_target",
    "qa_name_too_long",
    "qa_not_votable",
    "qa_not_voted",
    "qa_poll_choice_too_long",
    "qa_poll_choice_twice",
    "qa_poll_closed",
    "qa_poll_other_open",
    "qa_poll_same_choice",
    "qa_poll_text_too_long",
    "qa_poll_text_too_short",
    "qa_poll_too_few_choices",
    "qa_poll_too_many_choices",
    "qa_poll_unknown_choice",
    "qa_poll_wrong_state",
    "qa_polls_full",
    "qa_question_too_long",
    "qa_question_too_short",
    "qa_record_empty",
    "qa_record_too_early",
    "qa_record_too_long",
    "qa_too_many_pending",
    "qa_unknown_poll",
    "qa_unknown_question",
    "qa_voting_closed",
    "qa_voting_only",
    "qa_wrong_status",
    "question_choices_en",
    "question_needs_choices",
    "question_no_choices",
    "question_ranking_needs_choices",
    "question_unknown_category",
    "registration_closes_first",
    "registration_not_found",
    "reset_expired",
    "reset_unknown",
    "reset_used",
    "prize_challenge",
    "prize_partner",
    "prize_team_absent",
    "prize_title_required",
    "prize_unknown_team",
    "results_judging_open",
    "results_nothing_scored",
    "role_unknown",
    "rounds_conflicts",
    "rounds_no_team",
    "rounds_too_few_jurors",
    "rounds_unavailable",
    "session_ended",
    "team_already_member",
    "team_exists",
    "team_full",
    "team_name_required",
    "team_name_taken",
    "team_no_founder",
    "team_not_found",
    "team_not_member",
    "team_not_participant",
    "team_unknown_challenge",
    "team_wrong_code",
    "teams_closed",
    "teams_frozen",
    "token_name_required",
    "too_large",
    "too_long",
    "two_step_already_on",
    "two_step_not_on",
    "two_step_not_started",
    "two_step_replayed",
    "two_step_required",
    "two_step_setup_required",
    "two_step_wrong_code",
    "unavailable",
    "unknown_category",
    "unknown_question",
    "wrong_credentials",
    "wrong_current_password",
]
ERROR_KEYS: frozenset[str] = frozenset(ErrorKey.__args__)  # type: ignore[attr-defined]


class Problem(msgspec.Struct, frozen=True, kw_only=True):
    """One thing wrong with a request, where it is: a form shows each next to its field."""

    field: str | None = None
    key: ErrorKey | None = None
    message: str


class ErrorReply(msgspec.Struct, tag="error", frozen=True, kw_only=True):
    code: ErrorCode
    message: str
    field: str | None = None
    # A short stable key that pages translate; `message` is the English fallback.
    key: ErrorKey | None = None
    # For `rate_limited`: seconds until a retry can succeed (sent as HTTP Retry-After).
    retry_after: int | None = None
    # Every problem of the request when a rule found several (the first is also field, key and
    # message above, for clients that read only those); empty when there is just the one above.
    problems: list[Problem] = []

    def every_problem(self) -> list[Problem]:
        """Every problem of the request, the one above when it names no other."""
        return self.problems or [Problem(field=self.field, key=self.key, message=self.message)]


HTTP_STATUS: dict[str, int] = {
    "invalid": 422,
    "not_found": 404,
    "conflict": 409,
    "unauthorized": 401,
    "forbidden": 403,
    "rate_limited": 429,
    "unavailable": 503,
    "internal": 500,
}


class Rejected(Exception):
    """Raised by pure rules: the command is refused with this reply, nothing is written."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        field: str | None = None,
        key: ErrorKey | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.reply = ErrorReply(code=code, message=message, field=field, key=key, retry_after=retry_after)

    @classmethod
    def every(cls, refusals: "list[Rejected]") -> "Rejected":
        """One refusal for all of `refusals` (not empty): the first one's, listing every problem."""
        first = refusals[0].reply
        combined = cls(first.code, first.message, first.field, first.key, first.retry_after)
        if len(refusals) > 1:
            problems = [problem for refused in refusals for problem in refused.reply.every_problem()]
            combined.reply = msgspec.structs.replace(first, problems=problems)
        return combined


def command_id_reused() -> Rejected:
    """A client's command id seen before with another request: refused, never taken as a repeat."""
    return Rejected(
        "conflict",
        "This command id was already used for another request: send a new one",
        "command_id",
        key="command_id_reused",
    )
