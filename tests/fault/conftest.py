"""Fixtures of the fault drills: services as real processes, one NATS server or a three-node cluster.

Each drill starts only what registering needs (catalog, registration, web), every one in its
own OS process, so a SIGKILL kills exactly one of them as a crash would.
"""

import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from nats.aio.client import Client

from services.kit.connection import connect
from services.kit.nats_server import NatsServer, binary, free_port
from tests.integration.test_processes import Processes


class ServiceProcesses(Processes):
    """`perche service NAME` processes, with extra environment (PERCHE_REPLICAS on a cluster)."""

    def __init__(self, nats_url: str, folder: Path, extra_env: dict[str, str] | None = None) -> None:
        super().__init__(nats_url, folder)
        self.extra_env = extra_env or {}

    def env(self, name: str) -> dict[str, str]:
        return {**super().env(name), **self.extra_env}


class ClusterNode:
    """One nats-server of a three-node JetStream cluster on loopback, with its own store."""

    def __init__(self, name: str, folder: Path, client_port: int, route_port: int, routes: list[int]) -> None:
        self.name = name
        self.folder = folder
        self.port = client_port
        self.config = folder / f"{name}.conf"
        folder.mkdir(parents=True, exist_ok=True)
        listed = ", ".join(f"nats-route://127.0.0.1:{port}" for port in routes)
        self.config.write_text(
            f"server_name: {name}\nlisten: 127.0.0.1:{client_port}\n"
            f'jetstream {{ store_dir: "{folder / "store"}" }}\n'
            f"cluster {{ name: perche-drill, listen: 127.0.0.1:{route_port}, routes: [{listed}] }}\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with (self.folder / "nats-server.log").open("ab") as log:
            self.process = subprocess.Popen(
                [binary(), "-c", str(self.config)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                assert time.monotonic() < deadline, f"{self.name} did not listen"
                time.sleep(0.05)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


class Cluster:
    def __init__(self, folder: Path) -> None:
        routes = [free_port() for _ in range(3)]
        self.nodes = [ClusterNode(f"n{i + 1}", folder / f"n{i + 1}", free_port(), routes[i], routes) for i in range(3)]

    @property
    def url(self) -> str:
        return ",".join(f"nats://127.0.0.1:{node.port}" for node in self.nodes)

    def node(self, name: str) -> ClusterNode:
        return next(node for node in self.nodes if node.name == name)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    group = Cluster(tmp_path / "cluster")
    for node in group.nodes:
        node.start()
    yield group
    for node in group.nodes:
        node.stop()


@pytest.fixture
def single_server(tmp_path: Path) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path / "nats").start()
    yield server
    server.stop()


async def observer(url: str) -> Client:
    return await connect(url, "fault-observer")


@pytest.fixture
async def processes_on_one_server(single_server: NatsServer, tmp_path: Path) -> AsyncIterator[ServiceProcesses]:
    procs = ServiceProcesses(single_server.url, tmp_path / "processes")
    yield procs
    procs.stop_all()


@pytest.fixture
async def processes_on_the_cluster(cluster: Cluster, tmp_path: Path) -> AsyncIterator[ServiceProcesses]:
    procs = ServiceProcesses(cluster.url, tmp_path / "processes", {"PERCHE_REPLICAS": "3"})
    yield procs
    procs.stop_all()
