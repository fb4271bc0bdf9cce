"""Where the registration service keeps personal data, so that erasing a person destroys it on disk.

One JetStream stream, read and written as the KV bucket `perche_registration_personal`, that
allows deletes. Every revision that is replaced or erased is removed with
`$JS.API.STREAM.MSG.DELETE` without `no_erase` (nats-py's `delete_msg`), which overwrites the
message in the store's block files with random bytes. A plain KV bucket cannot do this:
nats-py creates it with `deny_delete`, which no stream update can lift, and a KV purge, a stream
purge or a history limit only drop the messages from the index, leaving their bytes in the files.

Per person, keyed by registration id:
- `<id>.data`: their PersonalData, one live revision (the previous one is erased after each put);
- `<id>.key`: a random key made before their registration is appended, with which the service
  signs the request's fingerprint (see rules.payload_fingerprint). It dies with the person, so the
  fingerprint left in the event log says nothing about them once they are erased.
"""

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from nats.js import api
from nats.js.errors import BucketNotFoundError, KeyNotFoundError, KeyWrongLastSequenceError, NotFoundError
from nats.js.kv import KeyValue

from schemas.registration import PersonalData
from services.kit.codec import decode, encode
from services.kit.store import replicas, unavailable, with_retries

log = logging.getLogger("perche.registration.people")

BUCKET = "perche_registration_personal"
# Before issue 9: a plain KV bucket (deletes denied), moved into BUCKET once and then removed.
LEGACY_BUCKET = "perche_registration_people"
# Room for revisions written at once by several instances; each put erases the older ones.
HISTORY = 64

__all__ = ["BUCKET", "PeopleStore"]


T = TypeVar("T")


async def _resent(write: Callable[[], Awaitable[T]], what: str) -> T:
    """A write resent until JetStream acknowledges it (each one here is safe to repeat)."""

    async def attempt(timeout: float) -> T:
        async with asyncio.timeout(timeout):
            return await write()

    return await with_retries(attempt, what)


class PeopleStore:
    def __init__(self, js: Any) -> None:
        self._js = js
        self._stream = f"KV_{BUCKET}"
        self._kv: KeyValue

    async def open(self) -> None:
        try:
            self._kv = await self._js.key_value(BUCKET)
        except BucketNotFoundError:
            config = api.StreamConfig(
                name=self._stream,
                subjects=[f"$KV.{BUCKET}.>"],
                storage=api.StorageType.FILE,
                num_replicas=replicas(),
                max_msgs_per_subject=HISTORY,
                allow_rollup_hdrs=True,
                allow_direct=True,
                deny_delete=False,
                deny_purge=False,
                discard=api.DiscardPolicy.NEW,
                duplicate_window=120.0,
            )
            with contextlib.suppress(Exception):  # another instance made it first: open it below
                await self._js.add_stream(config)
            self._kv = await self._js.key_value(BUCKET)
        await self._move_legacy()

    async def _move_legacy(self) -> None:
        """Take the people of the old bucket over, then delete that stream with its files.

        Read message by message (no consumer: the registration user may only get messages).
        """
        stream = f"KV_{LEGACY_BUCKET}"
        try:
            await self._js.stream_info(stream)
        except NotFoundError:
            return
        latest: dict[str, bytes | None] = {}
        seq = 1
        while True:
            try:
                message = await self._js.get_msg(stream, seq=seq, subject=f"$KV.{LEGACY_BUCKET}.>", next=True)
            except NotFoundError:
                break
            key = (message.subject or "").removeprefix(f"$KV.{LEGACY_BUCKET}.")
            removed = (message.headers or {}).get("KV-Operation") in ("DEL", "PURGE")
            latest[key] = None if removed else message.data
            seq = (message.seq or seq) + 1
        moved = 0
        for registration_id, value in latest.items():
            if value and await self.get(registration_id) is None:
                await self.put(registration_id, decode(value, PersonalData))
                moved += 1
        with contextlib.suppress(NotFoundError):
            await self._js.delete_stream(stream)
        log.info("moved %d people from %s to %s", moved, LEGACY_BUCKET, BUCKET)

    # --- the person's key ---

    async def key(self, registration_id: str) -> bytes:
        """The person's key, made now unless an earlier try (or a racing request) made it."""
        fresh = secrets.token_bytes(32)
        try:
            # Resent on no ack: a first try that was stored after all is read back below.
            await _resent(
                lambda: self._kv.create(f"{registration_id}.key", fresh), f"make the key of {registration_id}"
            )
        except KeyWrongLastSequenceError:
            pass
        except KeyNotFoundError as error:
            # nats-py reads the key back after a refused create: a store that refuses the create
            # and then has no key cannot answer consistently now (a cluster without its quorum).
            raise unavailable("store personal data") from error
        else:
            return fresh
        made = await self.existing_key(registration_id)
        if made is None:
            raise unavailable("store personal data")
        return made

    async def existing_key(self, registration_id: str) -> bytes | None:
        try:
            entry = await self._kv.get(f"{registration_id}.key")
        except KeyNotFoundError:
            return None
        return entry.value or None

    # --- the person's data ---

    async def get(self, registration_id: str) -> PersonalData | None:
        return (await self.read(registration_id))[0]

    async def read(self, registration_id: str) -> tuple[PersonalData | None, int]:
        """The person's data and its revision (0: none), to replace it only if it is still that one."""
        try:
            entry = await self._kv.get(f"{registration_id}.data")
        except KeyNotFoundError:
            return None, 0
        return (decode(entry.value, PersonalData) if entry.value else None), entry.revision or 0

    async def replace(self, registration_id: str, person: PersonalData, revision: int) -> bool:
        """Put the new data only over `revision`, then destroy the older revisions.

        False when it is no longer the last one: erased meanwhile (an erasure may not be undone by
        an answer change that was decided before it), or changed by another request.
        """
        key = f"{registration_id}.data"
        value = encode(person)
        try:
            written = await _resent(
                lambda: self._kv.update(key, value, last=revision), f"change the data of {registration_id}"
            )
        except KeyWrongLastSequenceError:
            return False  # (also when a resend finds its first try stored: the caller reads again)
        await self._erase(key, before=written)
        return True

    async def put(self, registration_id: str, person: PersonalData, replacing: bool = True) -> None:
        """Store the person's data, then destroy every earlier revision of it.

        `replacing=False` for a registration's first write skips looking for earlier revisions
        (one round trip): any left by a racing identical request hold the same data, and the
        next put or the erasure destroys them, since both look through every revision.
        """
        key = f"{registration_id}.data"
        value = encode(person)
        revision = await _resent(lambda: self._kv.put(key, value), f"store the personal data of {registration_id}")
        if replacing:
            await self._erase(key, before=revision)

    async def erase(self, registration_id: str) -> None:
        """Destroy the person's data and key: every revision is overwritten in the store's files.

        The key goes first: a repeat of the registration request that writes the person back
        checks the key afterwards and erases again when it is gone (RegistrationService._repeat).
        """
        for key in (f"{registration_id}.key", f"{registration_id}.data"):
            await self._erase(key, before=None)

    async def _erase(self, key: str, before: int | None) -> None:
        subject = f"$KV.{BUCKET}.{key}"
        seq = 1
        while True:
            try:
                message = await self._js.get_msg(self._stream, seq=seq, subject=subject, next=True)
            except NotFoundError:
                return
            found = message.seq or 0
            if before is not None and found >= before:
                return
            with contextlib.suppress(NotFoundError):  # another instance erased it meanwhile
                await _resent(lambda seq=found: self._js.delete_msg(self._stream, seq), f"erase message {found}")
            seq = found + 1
