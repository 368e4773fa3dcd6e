"""A real gunicorn serving the platform on loopback, for fault and load tests."""
from __future__ import annotations

import datetime as dt
import http.cookiejar
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import time_machine

from core import clock

ROOT = Path(__file__).resolve().parent.parent


def clock_env() -> dict:
    """The environment that starts a served platform's clock where this process's clock is now, the same
    in every worker process whenever it starts."""
    hatch = time_machine.escape_hatch    # a test's travel moves this process's clock, not the real time
    real = hatch.datetime.datetime.now(dt.UTC) if hatch.is_travelling() else clock.real_now().replace(tzinfo=dt.UTC)
    return {"INSPECTION_NOW": clock.local_now().isoformat(), "INSPECTION_NOW_FROM": real.isoformat()}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """``gunicorn 'web:create_app()'`` with ``workers`` gthread workers on 127.0.0.1."""

    def __init__(self, env: dict, *, workers: int = 2, threads: int = 4, port: int | None = None,
                 root: Path | None = None):
        self.root = root or ROOT    # the checkout served (a benchmark may serve another version)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "RATE_LIMITS": "0", "INSPECTION_NOTICE_SENDER": "0", **clock_env(), **env}
        self.workers, self.threads = workers, threads
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> Gunicorn:
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(self.workers), "--threads", str(self.threads),
             "--worker-class", "gthread", "--bind", f"127.0.0.1:{self.port}", "--graceful-timeout", "5",
             "--log-level", "warning", "web:create_app()"],
            cwd=self.root, env=self.env, stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited: " + self.output()[-2000:])
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer /health in time")

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def kill(self) -> None:
        """SIGKILL the master and its workers: a crash, no clean shutdown."""
        if self.process and self.process.poll() is None:
            subprocess.run(["pkill", "-KILL", "-P", str(self.process.pid)], check=False)
            self.process.kill()
            self.process.wait(timeout=10)
        self.log.close()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


class Browser:
    """A client with its own cookies, speaking JSON; it keeps the CSRF token the sign-in hands out
    (``X-CSRFToken``) and sends it with its writes, as the pages' scripts do."""

    def __init__(self, base: str):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self.csrf_token = ""

    def call(self, method: str, path: str, body: dict | None = None,
             headers: dict | None = None) -> tuple[int, dict | str]:
        data = json.dumps(body).encode() if body is not None else None
        sent = {"Content-Type": "application/json"} if data else {}
        if method not in ("GET", "HEAD") and self.csrf_token:
            sent["X-CSRFToken"] = self.csrf_token
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={**sent, **(headers or {})})
        try:
            with self.opener.open(request, timeout=60) as response:
                status, raw, kind = response.status, response.read(), response.headers.get("Content-Type", "")
                self.csrf_token = response.headers.get("X-CSRFToken") or self.csrf_token
        except urllib.error.HTTPError as err:
            status, raw, kind = err.code, err.read(), err.headers.get("Content-Type", "")
        text = raw.decode("utf-8", errors="replace")
        return status, json.loads(text) if "json" in kind and text else text


class Proxy:
    """A TCP forwarder from a loopback port to ``target``, which can drop every connection and
    refuse new ones (the database going away) and come back (the database restarted)."""

    def __init__(self, target: tuple[str, int]):
        import threading
        self.target, self.port = target, free_port()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self._threading = threading

    def up(self) -> Proxy:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        self._threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def down(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, []
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread; close alone would not
            except OSError:
                pass
            listener.close()
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self._sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                self._threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
