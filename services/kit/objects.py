"""JetStream object stores a service keeps (project photos, speakers' photos, the web's uploads)."""

from nats.aio.client import Client
from nats.js.api import ObjectStoreConfig, StorageType
from nats.js.errors import BucketNotFoundError
from nats.js.object_store import ObjectStore

from services.kit.store import replicas


async def object_store(nc: Client, name: str, ttl: float | None = None) -> ObjectStore:
    """The bucket, made on first use (by whichever instance starts first)."""
    js = nc.jetstream()
    try:
        return await js.object_store(name)
    except BucketNotFoundError:
        config = ObjectStoreConfig(ttl=ttl, storage=StorageType.FILE, replicas=replicas())
        return await js.create_object_store(name, config=config)
