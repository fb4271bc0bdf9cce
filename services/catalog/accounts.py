"""The catalog's wiring of organiser accounts: mailed links, throttles per address, log out everywhere,
two-step login. The rules are in account_rules.py; the organiser records are the service's own bucket."""

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

import msgspec
from nats.aio.client import Client
from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

from schemas.accounts import (
    INVITATION_LIFETIME,
    RESET_LIFETIME,
    AcceptInvitation,
    AccountMailSending,
    ConfirmTwoStep,
    DisableTwoStep,
    EndEverySession,
    GetTwoStep,
    InvitationSent,
    InviteOrganiser,
    LinkKind,
    LinkView,
    OpenLink,
    RequestPasswordReset,
    ResetPassword,
    ResetRequested,
    SendAccountMail,
    StartTwoStep,
    TwoStepEnabled,
    TwoStepSetup,
    TwoStepStatus,
    VerifySecondStep,
)
from schemas.catalog import CreateOrganiser, OrganiserReply
from schemas.errors import Rejected
from schemas.subjects import Catalog, Notify
from schemas.validation import looks_like_email, normalise_email
from services.catalog.account_rules import (
    ACCOUNT_LOGINS,
    ADDRESS_LOGINS,
    MAIL_REQUESTS_PER_ADDRESS,
    MAIL_REQUESTS_PER_EMAIL,
    AccountLink,
    Attempts,
    Limit,
    TwoStep,
    check_link,
    decide_attempt,
    decide_second_step,
    decide_totp,
    new_recovery_codes,
    new_secret,
    new_token,
    provisioning_uri,
    recovery_hash,
    token_key,
    used,
    without,
)
from services.kit.client import ServiceError, call
from services.kit.codec import decode, encode
from services.kit.endpoints import Endpoints
from services.kit.kv import bucket, write_if_unchanged

if TYPE_CHECKING:
    from services.catalog.service import CatalogService

log = logging.getLogger("perche.catalog.accounts")

# Mailed links, under the hash of their token; kept a day past the longest life, so that a used
# or expired link is told as such rather than as unknown.
LINKS_BUCKET = "perche_catalog_account_links"
# Recent attempts per address and per email (logins, mails asked for), shared by every instance.
ATTEMPTS_BUCKET = "perche_catalog_account_attempts"
TWO_STEP_BUCKET = "perche_catalog_two_step"
ISSUER = "Perche"

S = TypeVar("S", bound=msgspec.Struct)


def _hashed(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:40]


class Accounts:
    """Endpoints added to the catalog's; `service` holds the organiser records and the per-account throttle."""

    def __init__(self, service: "CatalogService") -> None:
        self.service = service

    async def start(self, nc: Client, endpoints: Endpoints) -> None:
        self.nc = nc
        js = nc.jetstream()
        self.links: KeyValue = await bucket(js, LINKS_BUCKET, ttl=INVITATION_LIFETIME + 86400)
        self.attempts: KeyValue = await bucket(js, ATTEMPTS_BUCKET, ttl=3600)
        self.two_steps: KeyValue = await bucket(js, TWO_STEP_BUCKET)
        endpoints.add(Catalog.INVITE_ORGANISER, InviteOrganiser, self.invite)
        endpoints.add(Catalog.OPEN_LINK, OpenLink, self.open_link)
        endpoints.add(Catalog.ACCEPT_INVITATION, AcceptInvitation, self.accept_invitation)
        endpoints.add(Catalog.REQUEST_PASSWORD_RESET, RequestPasswordReset, self.request_reset)
        endpoints.add(Catalog.RESET_PASSWORD, ResetPassword, self.reset_password)
        endpoints.add(Catalog.END_EVERY_SESSION, EndEverySession, self.end_every_session)
        endpoints.add(Catalog.GET_TWO_STEP, GetTwoStep, self.get_two_step)
        endpoints.add(Catalog.START_TWO_STEP, StartTwoStep, self.start_two_step)
        endpoints.add(Catalog.CONFIRM_TWO_STEP, ConfirmTwoStep, self.confirm_two_step)
        endpoints.add(Catalog.DISABLE_TWO_STEP, DisableTwoStep, self.disable_two_step)
        endpoints.add(Catalog.VERIFY_SECOND_STEP, VerifySecondStep, self.verify_second_step)

    def now(self) -> datetime:
        return self.service.clock()

    # --- KV helpers ---

    async def _read(self, kv: KeyValue, key: str, kind: type[S]) -> tuple[S | None, int]:
        try:
            entry = await kv.get(key)
        except KeyNotFoundError:
            return None, 0
        if not entry.value:
            return None, entry.revision or 0
        return decode(entry.value, kind), entry.revision or 0

    async def _change(
        self, kv: KeyValue, key: str, kind: type[S], change: Callable[[S | None], Awaitable[S | None] | S | None]
    ) -> S | None:
        """Read, change, write if nobody wrote meanwhile (else again). None from `change`: nothing written."""
        while True:
            value, revision = await self._read(kv, key, kind)
            changed = change(value)
            if asyncio.iscoroutine(changed):
                changed = await changed
            if changed is None:
                return None
            assert isinstance(changed, msgspec.Struct)
            if await write_if_unchanged(kv, key, encode(changed), revision):
                return changed  # type: ignore[return-value]

    async def count(self, limit: Limit, *parts: str) -> datetime:
        """Count one attempt against `limit` for what `parts` name; Rejected over it. Returns its moment."""
        now = self.now()
        counted = await self._change(
            self.attempts, _hashed(limit.key, *parts), Attempts, lambda a: decide_attempt(a or Attempts(), limit, now)
        )
        if counted is not None and len(counted.at) == limit.attempts:
            log.warning("%s: %d attempts in a row, the next ones are refused for a while", limit.key, limit.attempts)
        return now

    async def clear(self, limit: Limit, *parts: str) -> None:
        """Every attempt counted for what `parts` name is forgotten (a password proved right)."""
        await self.attempts.delete(_hashed(limit.key, *parts))

    async def forget(self, moment: datetime, limit: Limit, *parts: str) -> None:
        """The attempt made at `moment` succeeded: it no longer counts."""
        await self._change(
            self.attempts, _hashed(limit.key, *parts), Attempts, lambda a: None if a is None else without(a, moment)
        )

    # --- per address, for Authenticate and the second step ---

    async def count_login_from(self, address: str) -> datetime | None:
        return await self.count(ADDRESS_LOGINS, address) if address else None

    async def login_succeeded_from(self, address: str, moment: datetime | None) -> None:
        if address and moment is not None:
            await self.forget(moment, ADDRESS_LOGINS, address)

    # --- mailed links ---

    async def _mail(self, kind: LinkKind, email: str, token: str, language: str, expires: datetime, by: str) -> None:
        command = SendAccountMail(
            mail_id=uuid.uuid4().hex,
            kind=kind,
            email=email,
            token=token,
            language="en" if language == "en" else "fr",
            expires_at=expires,
            invited_by=by,
        )
        await call(self.nc, Notify.SEND_ACCOUNT_MAIL, command, AccountMailSending, timeout=10)

    async def _new_link(self, kind: LinkKind, email: str, lifetime: int) -> tuple[str, datetime]:
        token = new_token()
        expires = self.now() + timedelta(seconds=lifetime)
        link = AccountLink(kind=kind, email=email, expires_at=expires)
        await self.links.put(token_key(token), encode(link))
        return token, expires

    async def invite(self, command: InviteOrganiser) -> InvitationSent:
        email = normalise_email(command.email)
        if not looks_like_email(email):
            raise Rejected("invalid", f"{command.email!r} is not an email address", "email", key="email_invalid")
        inviter, _ = await self.service.organiser(command.invited_by) if command.invited_by else (None, 0)
        if inviter is None and command.invited_by:
            raise Rejected("not_found", "This organiser no longer exists", key="organiser_not_found")
        existing, _ = await self.service.organiser(self.service.organiser_id(email))
        if existing is not None:
            return InvitationSent(email=email, existing=True)
        # A repeat of this command (a double click) returns the first outcome: one link, one mail.
        done_key = "command-" + _hashed("invite", command.command_id)
        done, _ = await self._read(self.links, done_key, InvitationSent)
        if done is not None:
            return done
        if command.address:
            await self.count(MAIL_REQUESTS_PER_ADDRESS, "invite", command.address)
        await self.count(MAIL_REQUESTS_PER_EMAIL, "invite", email)
        token = new_token()
        expires = self.now() + timedelta(seconds=INVITATION_LIFETIME)
        sent = InvitationSent(email=email, expires_at=expires)
        if not await write_if_unchanged(self.links, done_key, encode(sent), 0):
            done, _ = await self._read(self.links, done_key, InvitationSent)
            assert done is not None
            return done  # the same command, answered meanwhile by another instance
        link = AccountLink(kind="invitation", email=email, expires_at=expires, invited_by=command.invited_by)
        await self.links.put(token_key(token), encode(link))
        by = inviter.email if inviter is not None else command.organisation
        await self._mail("invitation", email, token, command.language, expires, by)
        log.info("organiser %s invited someone; the link expires at %s", command.invited_by, expires.isoformat())
        return sent

    async def open_link(self, query: OpenLink) -> LinkView:
        link, _ = await self._read(self.links, token_key(query.token), AccountLink)
        link = check_link(link, query.kind, self.now())
        return LinkView(kind=link.kind, email=link.email, expires_at=link.expires_at)

    async def _use_link(self, kind: LinkKind, token: str, command_id: str) -> AccountLink:
        """Mark the link used by this command (once, whichever instance answers). Raises Rejected."""
        now = self.now()
        first: list[bool] = []

        def use(link: AccountLink | None) -> AccountLink | None:
            link = check_link(link, kind, now, command_id)
            if link.used_at is not None:
                return None  # this very command used it: a repeat
            first.append(True)
            return used(link, now, command_id)

        stored = await self._change(self.links, token_key(token), AccountLink, use)
        if stored is not None:
            return stored
        link, _ = await self._read(self.links, token_key(token), AccountLink)
        assert link is not None
        return link

    async def accept_invitation(self, command: AcceptInvitation) -> OrganiserReply:
        self.service.check_new_password(command.password, "password")
        link, _ = await self._read(self.links, token_key(command.token), AccountLink)
        check_link(link, "invitation", self.now(), command.command_id)
        link = await self._use_link("invitation", command.token, command.command_id)
        ident = self.service.organiser_id(link.email)
        known, _ = await self.service.organiser(ident)
        if known is not None:
            # A repeat of this command, or an account made meanwhile: it logs in only with the password.
            if not await self.service.verify(known.password_hash, command.password):
                raise Rejected("conflict", "This link was already used", "token", key="invitation_used")
            return OrganiserReply(organiser_id=ident, email=known.email, epoch=known.epoch)
        # The person's roles are the ones they were given in organisations: none in the default one.
        made = CreateOrganiser(
            command_id=command.command_id, email=link.email, password=command.password, default_role=None
        )
        reply = await self.service.create_organiser(made)
        log.info("organiser %s: account made from an invitation", ident)
        return reply

    async def request_reset(self, command: RequestPasswordReset) -> ResetRequested:
        """The same answer whether or not the address is an organiser's; a mail only when it is."""
        email = normalise_email(command.email)
        if command.address:
            await self.count(MAIL_REQUESTS_PER_ADDRESS, "reset", command.address)
        await self.count(MAIL_REQUESTS_PER_EMAIL, "reset", email)
        organiser, _ = await self.service.organiser(self.service.organiser_id(email))
        if organiser is None:
            return ResetRequested()
        token, expires = await self._new_link("reset", organiser.email, RESET_LIFETIME)
        try:
            await self._mail("reset", organiser.email, token, command.language, expires, "")
        except ServiceError as error:
            # Said only in the log: an answer that differs would tell who has an account.
            log.error("password reset: notify did not take the mail (%s)", error.reply.code)
        return ResetRequested()

    async def reset_password(self, command: ResetPassword) -> OrganiserReply:
        self.service.check_new_password(command.password, "password")
        link, _ = await self._read(self.links, token_key(command.token), AccountLink)
        check_link(link, "reset", self.now(), command.command_id)
        link = await self._use_link("reset", command.token, command.command_id)
        ident = self.service.organiser_id(link.email)
        reply = await self.service.set_password(ident, command.password, command.command_id)
        # Locked out by failed logins is often why one resets: the new password opens at once.
        await self.clear(ACCOUNT_LOGINS, ident)
        log.info("organiser %s: password reset by mail, every earlier session ended", ident)
        return reply

    async def end_every_session(self, command: EndEverySession) -> OrganiserReply:
        return await self.service.bump_epoch(command.organiser_id, command.command_id)

    # --- two-step login ---

    async def two_step_of(self, ident: str) -> TwoStep:
        state, _ = await self._read(self.two_steps, ident, TwoStep)
        return state or TwoStep()

    async def get_two_step(self, query: GetTwoStep) -> TwoStepStatus:
        state = await self.two_step_of(query.organiser_id)
        return TwoStepStatus(enabled=state.enabled, recovery_codes_left=len(state.recovery_hashes))

    async def _email_of(self, ident: str) -> str:
        organiser, _ = await self.service.organiser(ident)
        if organiser is None:
            raise Rejected("not_found", "This organiser no longer exists", key="organiser_not_found")
        return organiser.email

    async def start_two_step(self, command: StartTwoStep) -> TwoStepSetup:
        email = await self._email_of(command.organiser_id)

        def start(state: TwoStep | None) -> TwoStep | None:
            state = state or TwoStep()
            if state.enabled:
                raise Rejected("conflict", "Two-step login is already on", key="two_step_already_on")
            if state.pending_secret:
                return None  # shown again, the same: the app may have it already
            return msgspec.structs.replace(state, pending_secret=new_secret())

        await self._change(self.two_steps, command.organiser_id, TwoStep, start)
        secret = (await self.two_step_of(command.organiser_id)).pending_secret
        return TwoStepSetup(secret=secret, uri=provisioning_uri(secret, email, ISSUER))

    async def confirm_two_step(self, command: ConfirmTwoStep) -> TwoStepEnabled:
        now = self.now()
        codes = new_recovery_codes()
        ident = command.organiser_id
        await self.count(ACCOUNT_LOGINS, ident)

        def confirm(state: TwoStep | None) -> TwoStep | None:
            state = state or TwoStep()
            if state.enabled and state.last_command == command.command_id:
                # A repeat (a double click): the codes of the first answer were never shown, so this
                # answer's codes replace them, and two-step login stays on as the first one left it.
                return msgspec.structs.replace(state, recovery_hashes=tuple(recovery_hash(code) for code in codes))
            if state.enabled:
                raise Rejected("conflict", "Two-step login is already on", key="two_step_already_on")
            if not state.pending_secret:
                raise Rejected("conflict", "Start turning two-step login on first", key="two_step_not_started")
            return TwoStep(
                secret=state.pending_secret,
                enabled=True,
                last_step=decide_totp(state.pending_secret, 0, command.code, now),
                recovery_hashes=tuple(recovery_hash(code) for code in codes),
                last_command=command.command_id,
            )

        await self._change(self.two_steps, ident, TwoStep, confirm)
        await self.clear(ACCOUNT_LOGINS, ident)
        # Every session made without a second step ends; this browser gets a new one.
        who = await self.service.bump_epoch(ident, command.command_id)
        log.info("organiser %s: two-step login on", ident)
        return TwoStepEnabled(recovery_codes=codes, organiser_id=ident, email=who.email, epoch=who.epoch)

    async def _check_code(self, ident: str, code: str) -> None:
        """Accept this code for the account (used up), or Rejected; counted like a password."""
        now = self.now()
        await self.count(ACCOUNT_LOGINS, ident)

        def check(state: TwoStep | None) -> TwoStep:
            if state is None or not state.enabled:
                raise Rejected("conflict", "Two-step login is not on", key="two_step_not_on")
            return decide_second_step(state, code, now)

        await self._change(self.two_steps, ident, TwoStep, check)
        await self.clear(ACCOUNT_LOGINS, ident)

    async def disable_two_step(self, command: DisableTwoStep) -> TwoStepStatus:
        await self._check_code(command.organiser_id, command.code)
        await self.two_steps.delete(command.organiser_id)
        log.info("organiser %s: two-step login off", command.organiser_id)
        return TwoStepStatus(enabled=False)

    async def verify_second_step(self, query: VerifySecondStep) -> OrganiserReply:
        organiser, _ = await self.service.organiser(query.organiser_id)
        if organiser is None or organiser.epoch != query.epoch:
            # The password changed (or every session ended) since the first step: start again.
            raise Rejected("unauthorized", "This login has expired: log in again", key="session_ended")
        moment = await self.count_login_from(query.address)
        await self._check_code(query.organiser_id, query.code)
        await self.login_succeeded_from(query.address, moment)
        return OrganiserReply(organiser_id=query.organiser_id, email=organiser.email, epoch=organiser.epoch)
