"""The suite's nats-server runs with the production users and permissions of deploy/nats/accounts.conf.

Each service started by the fixtures connects as its own NATS user, so a service that touches a
subject, stream or bucket its user may not is refused here as in production (and the server logs a
"Violation", which fails the test). Tests themselves connect as one more user, `test`, allowed
everything in the same account: they load events, read streams and inject what they need.
"""

import re
import secrets
from pathlib import Path

from services.kit.nats_server import NatsServer
from tests.demo_events import ROOT

ACCOUNTS = ROOT / "deploy" / "nats" / "accounts.conf"
TEST_USER = "test"
_PASSWORD = re.compile(r"\$PERCHE_NATS_([A-Z]+)_PASSWORD")


class AccountsServer(NatsServer):
    """A nats-server whose users are accounts.conf's, each with a random password."""

    def __init__(self, store_dir: Path) -> None:
        text = ACCOUNTS.read_text()
        users = {match.lower() for match in _PASSWORD.findall(text)} | {TEST_USER}
        self.passwords = {user: secrets.token_hex(12) for user in users}
        # The test user: no permissions listed means every subject, in the PERCHE account.
        opening = "jetstream: enabled\n    users: [\n"
        assert opening in text, f"{ACCOUNTS} no longer opens the PERCHE account's users as expected"
        text = text.replace(opening, opening + "      { user: test, password: $PERCHE_NATS_TEST_PASSWORD }\n", 1)
        store_dir = Path(store_dir)
        store_dir.mkdir(parents=True, exist_ok=True)
        config = store_dir / "accounts.conf"
        config.write_text(text)
        environment = {f"PERCHE_NATS_{user.upper()}_PASSWORD": password for user, password in self.passwords.items()}
        super().__init__(store_dir, config=config, environment=environment)

    @property
    def url(self) -> str:
        return self.url_for(TEST_USER)

    def url_for(self, user: str) -> str:
        """The URL a service connects with: its own user, as PERCHE_NATS_URL names it in production."""
        return f"nats://{user}:{self.passwords[user]}@{self.host}:{self.port}"

    def violations(self) -> list[str]:
        """What the server refused a user (publish or subscribe), from its log."""
        if not self.log.exists():
            return []
        return [line for line in self.log.read_text(errors="replace").splitlines() if "Violation" in line]
