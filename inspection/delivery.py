"""How notices leave the platform: e-mail through an SMTP server and SMS through an HTTP gateway.

Both take plain text and raise :class:`DeliveryError` when the server is away, refuses or times out, so
that the sender tries again later (see ``operations.notices.record_attempt``)."""
from __future__ import annotations

import json
import smtplib
import ssl
import urllib.error
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from .operations.notices import DeliveryError

SECURITY = ("", "starttls", "ssl")


class SmtpMailer:
    """E-mail through an SMTP server (``MAIL_SERVER``): UTF-8 subject and body, one connection a message."""

    def __init__(self, host: str, port: int = 25, sender: str = "", *, username: str = "", password: str = "",
                 security: str = "", timeout: float = 10.0):
        if security not in SECURITY:
            raise ValueError(f"MAIL_SECURITY 应为 starttls、ssl 或留空，不是 {security!r}")
        self.host, self.port, self.sender = host, port, sender or f"noreply@{host}"
        self.username, self.password, self.security, self.timeout = username, password, security, timeout

    def send(self, to: list[str], subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, ", ".join(to), subject
        message["Date"], message["Message-ID"] = formatdate(localtime=False), make_msgid(domain="inspection.local")
        message.set_content(body)
        try:
            if self.security == "ssl":
                server = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                          context=ssl.create_default_context())
            else:
                server = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with server:
                if self.security == "starttls":
                    server.starttls(context=ssl.create_default_context())
                if self.username:
                    server.login(self.username, self.password)
                server.send_message(message)
        except (OSError, smtplib.SMTPException) as err:
            raise DeliveryError(f"邮件服务器 {self.host}:{self.port} 未能接收（{type(err).__name__}）") from err


class HttpTextSender:
    """SMS through a gateway (``SMS_GATEWAY_URL``): ``POST {"to": phone, "text": ...}`` as JSON, with
    ``Authorization: Bearer`` when a token is set; any 2xx answer means accepted."""

    def __init__(self, url: str, token: str = "", *, timeout: float = 10.0):
        self.url, self.token, self.timeout = url, token, timeout

    def send(self, phone: str, text: str) -> None:
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, method="POST", headers=headers,
                                         data=json.dumps({"to": phone, "text": text}, ensure_ascii=False).encode())
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - the configured gateway
                response.read()
        except urllib.error.HTTPError as err:
            raise DeliveryError(f"短信网关回答 HTTP {err.code}") from err
        except OSError as err:
            raise DeliveryError(f"短信网关未能接收（{type(err).__name__}）") from err
