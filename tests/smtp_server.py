"""A real SMTP server for tests/notify.rs (Debian's python3-aiosmtpd; run it with /usr/bin/python3).

Usage: smtp_server.py FOLDER CERT KEY USERNAME PASSWORD starttls|tls [PORT]

Listens on 127.0.0.1 on PORT (or a free port) and prints the port on its first line. STARTTLS (required
before AUTH) or TLS from the first byte, with CERT and KEY; AUTH LOGIN or PLAIN accepts only
USERNAME and PASSWORD; a recipient whose local part is "khong-ton-tai" is refused with 550, "hop-thu-day" with 452
(try later).
Each message received is read back with Python's e-mail parser and stored in FOLDER as
N.json (sender, recipients, decoded subject and text, attachments' names and types) with each
attachment's bytes in N-K.bin; the JSON file appears last, whole (written, then renamed).
"""

import asyncio
import json
import os
import ssl
import logging
import sys
from email import message_from_bytes, policy

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

# aiosmtpd 1.4 logs a warning about its own use of Session.login_data at every login.
logging.getLogger("mail.log").setLevel(logging.ERROR)

folder, cert, key, username, password, mode = sys.argv[1:7]
port = int(sys.argv[7]) if len(sys.argv) > 7 else 0


class Store:
    def __init__(self):
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.split("@")[0] == "khong-ton-tai":
            return "550 5.1.1 No such user here"
        if address.split("@")[0] == "hop-thu-day":
            return "452 4.2.2 Mailbox full, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        n = self.count
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        attachments = []
        for k, part in enumerate(message.iter_attachments()):
            data = part.get_payload(decode=True)
            with open(os.path.join(folder, f"{n}-{k}.bin"), "wb") as f:
                f.write(data)
            attachments.append(
                {"file_name": part.get_filename(), "content_type": part.get_content_type(), "file": f"{n}-{k}.bin"}
            )
        body = message.get_body(preferencelist=("plain",))
        stored = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": str(message["From"]),
            "to": str(message["To"]),
            "subject": str(message["Subject"]),
            "date": str(message["Date"]),
            "text": body.get_content() if body is not None else None,
            "attachments": attachments,
            "starttls": session.ssl is not None,
        }
        path = os.path.join(folder, f"{n}.json")
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(stored, f, ensure_ascii=False)
        os.rename(path + ".tmp", path)
        return "250 Message accepted for delivery"


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == username.encode()
        and auth_data.password == password.encode()
    )
    # handled=False: aiosmtpd answers 535 itself (with True it would answer nothing).
    return AuthResult(success=ok, handled=False)


async def main():
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler = Store()

    def protocol():
        return SMTP(
            handler,
            hostname="xanh-test-smtp",
            tls_context=context if mode == "starttls" else None,
            require_starttls=mode == "starttls",
            authenticator=authenticate,
            auth_required=True,
            # Over implicit TLS aiosmtpd does not know the connection is encrypted.
            auth_require_tls=mode == "starttls",
        )

    loop = asyncio.get_running_loop()
    server = await loop.create_server(protocol, "127.0.0.1", port, ssl=context if mode == "tls" else None)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


asyncio.run(main())
