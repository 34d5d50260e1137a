"""Creates, through the API itself, what the fuzzed operations need so that they reach past
`404`: an open invitation, and one published review per operation that changes a review (each
operation its own, so that a withdrawal does not turn every later edit into a `409`).

Reads PP_BASE (the server's address) and PP_API_KEY (a demo business's key); prints
`export NAME=value` lines for run.sh. Standard library only.
"""

import json
import os
import shlex
import sys
import urllib.error
import urllib.request

BASE = os.environ["PP_BASE"]
API_KEY = os.environ["PP_API_KEY"]
PRODUCTS = [
    {"sku": "TAGLIATELLE", "name": "Tagliatelle al ragù"},
    {"sku": "TIRAMISU", "name": "Tiramisù"},
]


def call(method, path, body=None, token=None, expect=(200, 201)):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(BASE + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    if status not in expect:
        sys.exit(f"seed: {method} {path} answered {status}: {text}")
    return json.loads(text)


def invite(reference):
    invitation = {"reference": reference, "products": PRODUCTS, "customer_name": "Seed"}
    return call("POST", "/api/v1/invitations", invitation, API_KEY)["token"]


def review(reference):
    """A published review of the demo business, with both products rated."""
    submitted = call(
        "POST",
        "/api/v1/reviews",
        {
            "token": invite(reference),
            "rating": 4,
            "title": "Cena ottima",
            "body": "Servizio attento, piatti generosi.",
            "author_name": "Seed",
            "nps": 9,
            "experience_date": "2024-05-01",
            "products": [
                {"sku": "TAGLIATELLE", "rating": 5, "body": "Come a casa."},
                {"sku": "TIRAMISU", "rating": 4},
            ],
        },
    )
    return submitted["id"], submitted["edit_token"]


def reply(review_id):
    call(
        "PUT",
        f"/api/v1/reviews/{review_id}/reply",
        {"body": "Grazie!", "responder_name": "Gino", "responder_role": "Titolare"},
        API_KEY,
    )


def main():
    out = {"PP_INVITATION": invite("ST-OPEN")}
    # Read only (show, history, receipt): edited, replied and answered, so that every part
    # of a review and several events of its history are there to check.
    read, read_token = review("ST-READ")
    call("PATCH", f"/api/v1/reviews/{read}", {"rating": 5}, read_token)
    reply(read)
    call("POST", f"/api/v1/reviews/{read}/follow-up", {"body": "A presto."}, read_token)
    out["PP_REVIEW_READ"] = read
    for name in ("EDIT", "REPLY", "FOLLOW_UP", "WITHDRAW", "ERASE"):
        review_id, edit_token = review(f"ST-{name}")
        out[f"PP_REVIEW_{name}"] = review_id
        out[f"PP_EDIT_TOKEN_{name}"] = edit_token
    # A follow-up answers a reply.
    reply(out["PP_REVIEW_FOLLOW_UP"])
    for name, value in out.items():
        print(f"export {name}={shlex.quote(value)}")


if __name__ == "__main__":
    main()
