"""Schemathesis hooks (loaded through `hooks` in schemathesis.toml).

`POST /api/v1/reviews` needs what no schema can generate: a token this server issued, for an
invitation not used yet, listing the products the review rates. Before each schema-valid
submission, this creates that invitation through the API (with the demo business's key) and
puts its token in the body; nothing else of the generated request changes. Without it every
submission would stop at `404` (an unknown token) and the write path would go untested.
"""

import itertools
import json
import os
import urllib.error
import urllib.request

import schemathesis

_references = itertools.count()


def _invite(products):
    """A fresh invitation's token, listing `products` if the server takes them."""
    for listed in (products, []):
        body = {"reference": f"ST-HOOK-{os.getpid()}-{next(_references)}", "products": listed}
        request = urllib.request.Request(
            os.environ["PP_BASE"] + "/api/v1/invitations",
            data=json.dumps(body).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": "Bearer " + os.environ["PP_API_KEY"],
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.load(response)["token"]
        except urllib.error.HTTPError as error:
            # 422: SKUs no invitation can list (the same SKU twice once normalised, `.`);
            # the review will be refused for them, as it should.
            if error.code != 422:
                raise
    raise RuntimeError("no invitation could be created")


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.operation.method.upper() != "POST" or case.operation.path != "/api/v1/reviews":
        return
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return
    body = case.body
    if not isinstance(body, dict) or not isinstance(body.get("token"), str):
        return
    rated = body.get("products")
    products = []
    if isinstance(rated, list):
        products = [
            {"sku": p["sku"], "name": "Prodotto"}
            for p in rated
            if isinstance(p, dict) and isinstance(p.get("sku"), str)
        ]
    body["token"] = _invite(products)
