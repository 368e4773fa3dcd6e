"""A local SMTP server for the demo and the tests (aiosmtpd): it receives the platform's e-mail on
127.0.0.1, keeps each message and writes it to a folder as an ``.eml`` file, so that one can read what
firms and officers would have received without a mail server of one's own."""
from __future__ import annotations

import email
import email.policy
import logging
import socket
import threading
from pathlib import Path

from aiosmtpd.controller import Controller

log = logging.getLogger(__name__)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class _Keeper:
    def __init__(self, folder: Path | None, on_message=None):
        self.folder, self.on_message = folder, on_message
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
            number = len(self.messages)
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / f"{number:05d}.eml").write_bytes(envelope.content)
        if self.on_message is not None:
            self.on_message(message)
        return "250 OK"


class LocalMailServer:
    """``with LocalMailServer() as server:`` listens on 127.0.0.1:``server.port``; ``server.messages`` are
    the messages received (parsed, headers decoded)."""

    def __init__(self, port: int | None = None, *, folder: Path | None = None, on_message=None,
                 host: str = "127.0.0.1"):
        self.host, self.port = host, port or free_port(host)
        self._keeper = _Keeper(folder, on_message)
        self._controller: Controller | None = None

    @property
    def messages(self) -> list:
        with self._keeper.lock:
            return list(self._keeper.messages)

    def start(self) -> LocalMailServer:
        self._controller = Controller(self._keeper, hostname=self.host, port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> LocalMailServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
