"""KV buckets: read models and erasable personal data, owned by one service each."""

import contextlib
import secrets

from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BucketNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from services.kit.store import replicas


async def bucket(js: object, name: str, ttl: float | None = None) -> KeyValue:
    """The bucket, made on first use; with `ttl` (seconds) each value is forgotten that long after its write."""
    try:
        return await js.key_value(name)  # type: ignore[attr-defined,no-any-return]
    except BucketNotFoundError:
        config = KeyValueConfig(bucket=name, ttl=ttl, storage=StorageType.FILE, replicas=replicas())
        return await js.create_key_value(config)  # type: ignore[attr-defined,no-any-return]


async def shared_secret(kv: KeyValue, key: str) -> bytes:
    """A random secret made once and shared by every instance (first writer wins)."""
    try:
        entry = await kv.get(key)
        if entry.value:
            return entry.value
    except Exception:  # noqa: BLE001 - not found yet: make it below
        pass
    with contextlib.suppress(KeyWrongLastSequenceError):  # another instance made it first
        await kv.create(key, secrets.token_bytes(32))
    entry = await kv.get(key)
    assert entry.value is not None
    return entry.value


async def write_if_unchanged(kv: KeyValue, key: str, value: bytes, revision: int) -> bool:
    """Store `value` if nobody wrote `key` since `revision` (0: never written); False when someone did."""
    try:
        if revision:
            await kv.update(key, value, last=revision)
        else:
            await kv.create(key, value)
    except KeyWrongLastSequenceError:
        return False
    return True
