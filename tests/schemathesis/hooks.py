"""Schemathesis hooks for the contract run (tests/schemathesis/run)."""

import json

import schemathesis
from schemathesis.core.parameters import ParameterLocation

# Every `nextCursor` the API has answered in this run.
ISSUED_CURSORS = set()


@schemathesis.hook
def after_call(ctx, case, response):
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return
    if isinstance(body, dict) and isinstance(body.get("nextCursor"), str):
        ISSUED_CURSORS.add(body["nextCursor"])


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    # A list's `cursor` is an opaque token the API issues in `nextCursor`: a client never makes
    # one up, and one the API did not issue is refused with 422, as documented. So a query
    # generated as valid sends only cursors the API gave; a made-up one is left out (in every
    # phase). A query generated as invalid is sent as it is: its refusal is what is checked.
    query = case.query
    if not query or "cursor" not in query or case.meta is None:
        return
    if case.meta.is_negative_at(ParameterLocation.QUERY):
        return
    if query["cursor"] not in ISSUED_CURSORS:
        del query["cursor"]
