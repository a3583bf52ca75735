"""A client generated from the served /openapi.json, used as an integrator would: create an
account and a case, move the case through a transition with If-Match, read its history.
Every answer is parsed into the generated models; an undocumented status raises."""

import sys

from gestiona_client import AuthenticatedClient
from gestiona_client.api.default import (
    accounts_create,
    case_types_list,
    cases_create,
    cases_get,
    cases_history,
    transitions_offered,
    transitions_transition,
)
from gestiona_client.models import (
    AccountRecord,
    CaseRecord,
    HistoryEventRecordCreated,
    HistoryEventRecordTransitioned,
    ListResponseCaseTypeRecord,
    ListResponseHistoryEventRecord,
    NewAccount,
    NewCase,
    OfferedTransitions,
    ProblemSchema,
    TransitionRequest,
)


def expect(response, status, model):
    assert response.status_code == status, (response.status_code, response.content)
    assert isinstance(response.parsed, model), (type(response.parsed), response.content)
    return response.parsed


def main(base_url: str, token: str) -> None:
    client = AuthenticatedClient(
        base_url=base_url, token=token, raise_on_unexpected_status=True, headers={"Accept-Language": "en"}
    )

    account = expect(
        accounts_create.sync_detailed(client=client, body=NewAccount(name="Ferretería La Unión", tax_id="3-101-123456")),
        201,
        AccountRecord,
    )
    assert account.name == "Ferretería La Unión" and account.version >= 1

    types = expect(case_types_list.sync_detailed(client=client), 200, ListResponseCaseTypeRecord)
    assert types.items, "the demo tenant has case types"
    case_type = types.items[0].key

    created = cases_create.sync_detailed(
        client=client, body=NewCase(type_=case_type, subject="Pedido incompleto", account_id=account.id)
    )
    case = expect(created, 201, CaseRecord)
    assert case.account_id == account.id
    assert created.headers["location"].endswith(f"/cases/{case.id}"), created.headers

    offered = transitions_offered.sync_detailed(case.id, client=client)
    transitions = expect(offered, 200, OfferedTransitions)
    assert transitions.state == case.state
    action, result = next(
        (action, result)
        for action in transitions.actions
        for result in action.results
        if not result.missing_fields
    )
    request = TransitionRequest(
        action=action.key, result=result.key, note="Revisado con el cliente" if result.requires_note else None
    )

    # A stale tag is refused with 412 and a problem the client parses; the current one passes.
    stale = transitions_transition.sync_detailed(case.id, client=client, body=request, if_match='"0"')
    problem = expect(stale, 412, ProblemSchema)
    assert problem.type_ == "urn:gestiona:problem:stale-version", problem
    assert problem.title == "The resource changed since you read it", problem

    moved = transitions_transition.sync_detailed(case.id, client=client, body=request, if_match=offered.headers["etag"])
    after = expect(moved, 200, CaseRecord)
    assert after.version > case.version
    if result.next_:
        assert after.state == result.next_, (after.state, result.next_)
    assert moved.headers["etag"] == f'"{after.version}"'

    # The case as read carries the same version; a conditional read of it is 304.
    read = expect(cases_get.sync_detailed(case.id, client=client), 200, CaseRecord)
    assert read.version == after.version
    unchanged = cases_get.sync_detailed(case.id, client=client, if_none_match=moved.headers["etag"])
    assert unchanged.status_code == 304, unchanged.status_code

    history = expect(cases_history.sync_detailed(case.id, client=client), 200, ListResponseHistoryEventRecord)
    kinds = [type(event) for event in history.items]
    assert HistoryEventRecordCreated in kinds, kinds
    steps = [event for event in history.items if isinstance(event, HistoryEventRecordTransitioned)]
    assert len(steps) == 1, kinds
    assert (steps[0].action, steps[0].result) == (action.key, result.key)
    assert steps[0].case_version == after.version
    print(f"generated client: account {account.id}, case {case.id} ({case_type}) moved by {action.key} → {result.key}, "
          f"{len(history.items)} history events")


if __name__ == "__main__":
    main(*sys.argv[1:3])
