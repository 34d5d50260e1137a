#!/usr/bin/env python3
"""Signs a Passaparola invitation link (docs/invitation-links.md), with no API call.

Standard library only. Use the function from your own code:

    from invitation_link import invitation_link
    url = invitation_link("https://reviews.example.org", "trattoria-da-gino",
                          secret, "ORD-2024/0042", email="maria.rossi+ordini@example.it")

or try it from a shell (a secret on the command line is visible to the machine's other
users, in `ps` and in shell history: do this with a test secret only):

    python3 invitation_link.py BASE_URL SLUG SECRET REF [EXP [EMAIL]]

EXP is a Unix time in seconds (empty or absent: 30 days from now); EMAIL may be absent.
"""

import base64
import hashlib
import hmac
import sys
import time
import urllib.parse

#: How long a link stays valid unless you say otherwise: keep it short.
DEFAULT_VALIDITY_SECONDS = 30 * 24 * 60 * 60


def invitation_link(base_url, slug, secret, ref, rel="customer", exp=None, email=""):
    """The signed link that invites the customer of order `ref` to review `slug`.

    `base_url` is where your Passaparola instance is reached (`https://reviews.example.org`),
    `secret` the link secret from `passaparola business link-secret --slug SLUG`, `exp` the
    Unix time (seconds) after which the link no longer works (30 days from now by default),
    `email` the customer's address or "" for none.
    """
    if exp is None:
        exp = int(time.time()) + DEFAULT_VALIDITY_SECONDS
    exp = str(int(exp))
    for name, value in (("slug", slug), ("ref", ref), ("rel", rel), ("email", email)):
        if "\n" in value:
            raise ValueError(f"{name} must not contain a line break")
    # The signed text: six lines joined by "\n", no line break at the end.
    text = "\n".join(["v1", slug, ref, rel, exp, email])
    digest = hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).digest()
    sig = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    params = [("ref", ref), ("rel", rel), ("exp", exp)]
    if email:
        params.append(("email", email))
    params.append(("sig", sig))
    # quote (not quote_plus) with safe="": every reserved character is percent-encoded,
    # spaces as %20.
    query = urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
    path = "/i/" + urllib.parse.quote(slug, safe="")
    return base_url.rstrip("/") + path + "?" + query


def main(argv):
    if not 5 <= len(argv) <= 7:
        print(
            "usage: invitation_link.py BASE_URL SLUG SECRET REF [EXP [EMAIL]]",
            file=sys.stderr,
        )
        return 2
    base_url, slug, secret, ref = argv[1:5]
    exp = argv[5] if len(argv) > 5 and argv[5] else None
    email = argv[6] if len(argv) > 6 else ""
    print(invitation_link(base_url, slug, secret, ref, exp=exp, email=email))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
