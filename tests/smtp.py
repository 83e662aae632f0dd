"""A real SMTP server for tests (aiosmtpd on 127.0.0.1) and the app configured to send to it."""
import email
import email.policy
import socket
import time

import pytest
from aiosmtpd.controller import Controller


class Mailbox:
    """An aiosmtpd handler keeping what it receives; `refuse` makes it answer 451 to DATA, `delay` slows it."""

    def __init__(self):
        self.messages = []
        self.refuse = False
        self.delay = 0.0
        self.connections = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "451 4.3.0 Service temporairement indisponible"
        if self.delay:
            time.sleep(self.delay)
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content,
                                                                          policy=email.policy.default)))
        return "250 Message accepted for delivery"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(app):
    """A real SMTP server for the test, and the app configured to use it."""
    box = Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SENDER="portail@opco.test")
    yield box
    controller.stop()


def _body(message, subtype):
    return message.get_body(preferencelist=(subtype,)).get_content()
