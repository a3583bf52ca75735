"""Schemathesis hooks for the contract run (tests/schemathesis/run)."""

import schemathesis


@schemathesis.hook
def map_query(ctx, query):
    # A list's `cursor` is an opaque token the API issues in `nextCursor`: a client never makes
    # one up, and one the API did not issue is refused with 422, as documented. The stateful
    # phase still follows real cursors.
    if query:
        query.pop("cursor", None)
    return query
