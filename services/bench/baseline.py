"""The registration bench's baseline: a bare Litestar endpoint doing one NATS request
whose responder appends to JetStream. Run as two processes by services/bench/registration.py."""

import asyncio
import os
import sys
import uuid

import uvicorn
from litestar import Litestar, Request, get, post

from services.kit.connection import connect
from services.kit.lifecycle import run
from services.kit.store import ensure_stream

SUBJECT = "bench.baseline.append"


async def responder() -> None:
    nc = await connect(os.environ["PERCHE_NATS_URL"], "bench-responder")
    js = nc.jetstream()
    await ensure_stream(js, "BENCH_BASELINE", ["bench.baseline.evt.>"])

    async def handle(msg: object) -> None:
        ack = await js.publish(
            "bench.baseline.evt.x",
            msg.data,  # type: ignore[attr-defined]
            headers={"Nats-Msg-Id": uuid.uuid4().hex},
        )
        await msg.respond(str(ack.seq).encode())  # type: ignore[attr-defined]

    async def dispatch(msg: object) -> None:
        asyncio.create_task(handle(msg))

    await nc.subscribe(SUBJECT, queue="bench", cb=dispatch)
    await asyncio.Event().wait()


def web(port: int) -> None:
    state: dict[str, object] = {}

    async def startup() -> None:
        state["nc"] = await connect(os.environ["PERCHE_NATS_URL"], "bench-web")

    @get("/ready")
    async def ready() -> str:
        return "ok"

    @post("/append", status_code=201)
    async def append(request: Request[object, object, object]) -> dict[str, str]:
        body = await request.body()
        reply = await state["nc"].request(SUBJECT, body, timeout=5)  # type: ignore[attr-defined]
        return {"seq": reply.data.decode()}

    app = Litestar([ready, append], on_startup=[startup])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    if sys.argv[1] == "responder":
        run(responder())
    else:
        web(int(sys.argv[2]))
