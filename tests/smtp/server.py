"""A real SMTP server for the e-mail tests (aiosmtpd), delivering to a maildir.

    python3 tests/smtp/server.py MAILDIR

Listens on 127.0.0.1 on a free port and prints `PORT <n>` once it accepts connections.
Every accepted message is written to MAILDIR/new/<n>.eml (the raw bytes, as received) and
MAILDIR/new/<n>.json (what Python's own e-mail parser reads in it: the tests check the
message through an implementation that is not ours). Recipients steer the server:

- `refuse…@` is refused for good at RCPT: 550 5.1.1;
- `busy…@` is refused for now at RCPT: 451 4.3.0;
- `slow…@` is stored, then answered only after SLOW_SECONDS (default 6): a sender killed
  meanwhile never learns that the message was accepted.

With DKIM_TXT set (a DKIM key record such as `v=DKIM1; k=rsa; p=BASE64`), every message's
first DKIM signature is checked by dkimpy, as if DKIM_TXT were published at the
`{selector}._domainkey.{domain}` that the signature names: the summary's `dkim_valid` is
the result (true or false), or null without DKIM_TXT (nothing checked).
"""

import asyncio
import json
import os
import sys
from email import policy
from email.parser import BytesParser

import dkim
from aiosmtpd.smtp import SMTP

SLOW_SECONDS = float(os.environ.get("SLOW_SECONDS", "6"))
DKIM_TXT = os.environ.get("DKIM_TXT")


def dkim_txt(name, timeout=5):
    """The DNS answer for `name` (bytes, e.g. b"s._domainkey.example.com."): DKIM_TXT for
    any DKIM key name, nothing for any other."""
    if b"._domainkey." in name:
        return DKIM_TXT.encode()
    return None


def dkim_valid(raw):
    """Whether the first DKIM signature of `raw` verifies against DKIM_TXT; None without it."""
    if DKIM_TXT is None:
        return None
    try:
        return bool(dkim.verify(raw, dnsfunc=dkim_txt))
    except Exception as e:  # dkimpy lets a few malformed inputs through as other errors
        print(f"smtp: DKIM verification failed: {e!r}", file=sys.stderr, flush=True)
        return False


class Maildir:
    def __init__(self, root):
        self.new = os.path.join(root, "new")
        self.tmp = os.path.join(root, "tmp")
        os.makedirs(self.new, exist_ok=True)
        os.makedirs(self.tmp, exist_ok=True)
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("refuse"):
            return "550 5.1.1 mailbox unavailable"
        if local.startswith("busy"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        name = f"{self.count:06d}"
        raw = envelope.original_content or envelope.content
        message = BytesParser(policy=policy.default).parsebytes(raw)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        summary = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "message_id": message["Message-ID"],
            "from": message["From"],
            "to": message["To"],
            "subject": message["Subject"],
            "list_unsubscribe": message["List-Unsubscribe"],
            "list_unsubscribe_post": message["List-Unsubscribe-Post"],
            "template": message["X-Passaparola-Template"],
            "content_language": message["Content-Language"],
            "dkim_signature": message["DKIM-Signature"],
            "dkim_valid": dkim_valid(raw),
            "content_type": message.get_content_type(),
            "text": text.get_content() if text is not None else None,
            "html": html.get_content() if html is not None else None,
        }
        for suffix, data in ((".eml", raw), (".json", json.dumps(summary).encode())):
            tmp = os.path.join(self.tmp, name + suffix)
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            # The .json last: a reader that sees it sees the whole message.
            os.rename(tmp, os.path.join(self.new, name + suffix))
        if any(a.split("@", 1)[0].lower().startswith("slow") for a in envelope.rcpt_tos):
            await asyncio.sleep(SLOW_SECONDS)
        return "250 Message accepted for delivery"


async def main(root):
    handler = Maildir(root)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="smtp.test", enable_SMTPUTF8=True),
        host="127.0.0.1",
        port=0,
    )
    port = server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
