"""A real SMTP server for the mail tests: aiosmtpd (PyPI) on loopback.

Every accepted message is written, as received, to one file in --dir
(atomically: a dot-file renamed to NAME.eml), preceded by two headers
naming the envelope (X-Envelope-From, X-Envelope-To). A recipient whose
address starts with "reject" is refused with a permanent 550 at RCPT, as
a real server refuses an unknown mailbox.

    python smtp_peer.py --port 2525 --dir /tmp/mail
"""

import argparse
import os
import signal
import threading
import time
import uuid

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, out):
        self.out = out

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().startswith("reject"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        name = f"{time.time_ns()}-{uuid.uuid4().hex}"
        tmp = os.path.join(self.out, "." + name)
        with open(tmp, "wb") as f:
            f.write(
                f"X-Envelope-From: {envelope.mail_from}\r\n"
                f"X-Envelope-To: {','.join(envelope.rcpt_tos)}\r\n".encode()
            )
            f.write(envelope.original_content)
        os.rename(tmp, os.path.join(self.out, name + ".eml"))
        return "250 Message accepted for delivery"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    a = p.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    c = Controller(Handler(a.dir), hostname="127.0.0.1", port=a.port)
    c.start()
    print(f"smtp peer listening on 127.0.0.1:{a.port}", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    c.stop()


if __name__ == "__main__":
    main()
