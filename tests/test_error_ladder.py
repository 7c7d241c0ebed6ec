"""The one ladder from a domain error to a GraphQL code to an HTTP status
(resolvers.errors.HTTP_STATUS): a request refused as a whole takes its code's rung."""

from __future__ import annotations

import json

import pytest

from gridhub.web.gateway import Refusal, refusal_response
from gridhub.resolvers import errors
from gridhub.resolvers.errors import (BadInput, Conflict, Forbidden, GridhubError, NotFound, RateLimited,
                                      Unauthenticated, Unavailable)

CASES = [
    (Unauthenticated("send a token"), 401),
    (Forbidden("not yours"), 403),
    (NotFound("no such person"), 404),
    (BadInput("a name is needed", field="name"), 400),
    (Conflict("changed meanwhile"), 409),
    (RateLimited("too many requests", 3), 429),
    (Unavailable(request_id="r1", retry_after=2), 503),
]


@pytest.mark.parametrize("problem, status", CASES, ids=lambda c: getattr(c, "code", c))
def test_a_refused_request_takes_its_codes_rung(problem, status):
    response = refusal_response(Refusal.of(problem, headers={"X-Seen": "1"}))
    assert response.status_code == status
    assert response.headers["x-seen"] == "1"
    assert json.loads(response.body) == {"errors": [{"message": problem.message, "extensions": problem.extensions}]}


def test_every_domain_error_and_stable_code_has_a_rung():
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    assert {c.code for c in subclasses(GridhubError)} <= errors.HTTP_STATUS.keys()
    assert {c.code for c in subclasses(GridhubError)} <= {problem.code for problem, _ in CASES}
    # the codes that only ever describe a field of an executed answer have no rung of their own
    assert errors.STABLE_CODES - errors.HTTP_STATUS.keys() == {
        "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "QUERY_TOO_DEEP", "TOO_MANY_ALIASES",
        "TOO_MANY_TOKENS", "QUERY_TOO_COSTLY"}


def test_a_refusal_may_name_a_finer_status():
    assert Refusal("BAD_REQUEST", "mutations are POSTed", status=405).status == 405
    assert Refusal("BAD_REQUEST", "no body").status == 400


def test_an_outage_is_told_in_one_message():
    assert Unavailable().message == errors.UNAVAILABLE_MESSAGE
