"""``POST /merges/{review_id}/unmerge`` and ``POST /changes/{merge id}/rollback`` through the review API
function, on moto: 200 with the mapping, then 409 saying when; 409 for a merge never performed."""

from __future__ import annotations

import json
from typing import Any

from review_api_handler import lambda_handler
from review_errors import ErrorBody

from crm_hygiene.models.record import Record
from crm_hygiene.models.unmerge import UnmergeResult
from crm_hygiene.services.merge.core import merge_item
from crm_hygiene.settings import PipelineSettings
from crm_hygiene.wiring.aws import AwsDeps
from tests.events.factory import FakeContext, api_event
from tests.unmerge_support import merge_task, performed_merge

REVIEWER = "arn:aws:iam::123456789012:user/rita"


def call(deps: AwsDeps[PipelineSettings], method: str, path: str) -> tuple[int, Any]:
    response = lambda_handler(api_event(method, path, user=REVIEWER), FakeContext(), deps=deps.review())
    return response["statusCode"], json.loads(response["body"]) if response["body"] else None


def _records(deps: AwsDeps[PipelineSettings]) -> tuple[Record, Record]:
    a = Record(object_type="contact", record_id="700001", source="internal",
               fields={"record_id": "700001", "first_name": "Ada", "phone": ""})  # fmt: skip
    b = Record(object_type="contact", record_id="700002", source="internal",
               fields={"record_id": "700002", "first_name": "ADA", "phone": "+14155550101"})  # fmt: skip
    deps.crm.put_records([a, b])  # type: ignore[attr-defined]
    return a, b


def test_unmerge_answers_the_mapping_then_409_saying_when(deps: AwsDeps[PipelineSettings]) -> None:
    a, b = _records(deps)
    review_id, _ = performed_merge([a.record_id, b.record_id], {"phone": ("+14155550101", b.record_id)},
                                   queue=deps.queue, crm=deps.crm, audit=deps.audit)  # fmt: skip
    status, body = call(deps, "POST", f"/merges/{review_id}/unmerge")
    assert status == 200, body
    result = UnmergeResult.model_validate(body)
    assert result.status == "unmerged" and result.unmerged_by == REVIEWER
    assert [(r.old_id, r.new_id) for r in result.restored] == [(b.record_id, b.record_id)]
    assert result.survivor_restored == ["phone"] and result.conflicts == []
    assert [r.record_id for r in deps.crm.get_records("contact", [b.record_id])] == [b.record_id]
    # a second unmerge, by either route, is refused with when it was unmerged
    for path in (f"/merges/{review_id}/unmerge", f"/changes/{review_id}/rollback"):
        status, body = call(deps, "POST", path)
        error = ErrorBody.model_validate(body)
        assert (status, error.code) == (409, "conflict")
        assert f"already unmerged on {result.unmerged_at:%Y-%m-%d %H:%M}" in error.message


def test_a_change_rollback_of_a_merge_unmerges_it(deps: AwsDeps[PipelineSettings]) -> None:
    a, b = _records(deps)
    review_id, _ = performed_merge([a.record_id, b.record_id], {}, queue=deps.queue, crm=deps.crm,
                                   audit=deps.audit)  # fmt: skip
    status, body = call(deps, "POST", f"/changes/{review_id}/rollback")
    assert status == 200 and body["status"] == "rolled_back", body
    assert body["note"].startswith(f"unmerged: {b.record_id}->{b.record_id}")


def test_a_merge_never_performed_is_409_and_an_unknown_one_404(deps: AwsDeps[PipelineSettings]) -> None:
    a, b = _records(deps)
    task = merge_task([a.record_id, b.record_id], {})
    deps.queue.put_new([merge_item(task, "queued")])
    status, body = call(deps, "POST", f"/merges/{task.review_id}/unmerge")
    assert status == 409 and "never performed" in ErrorBody.model_validate(body).message
    status, body = call(deps, "POST", "/merges/merge-nope/unmerge")
    assert status == 404 and ErrorBody.model_validate(body).code == "not_found"


def test_the_command_unmerges_through_the_api_then_says_it_was_done(
    deps: AwsDeps[PipelineSettings], capsys: Any
) -> None:
    from crm_hygiene.cli import main
    from tests.integration.review_api_server import review_api

    a, b = _records(deps)
    review_id, _ = performed_merge([a.record_id, b.record_id], {}, queue=deps.queue, crm=deps.crm,
                                   audit=deps.audit)  # fmt: skip
    with review_api(deps) as front:
        assert main(["unmerge", review_id, "--url", front.url, "--reviewer", "rita"]) == 0
        assert f"contact {b.record_id}: reinstated" in capsys.readouterr().out
        assert main(["unmerge", review_id, "--url", front.url, "--reviewer", "sam"]) == 1
    err = capsys.readouterr().err
    assert "already unmerged on" in err and "by local:rita" in err
    assert deps.queue.get(review_id).reviewer == "local:rita"  # the local gateway names local reviewers


def test_against_a_deployed_stack_the_request_is_signed_for_api_gateway() -> None:
    import httpx

    from crm_hygiene.adapters.review_api import ReviewApiClient

    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(409, json={"code": "conflict", "message": "already unmerged", "details": []})

    url = "https://abc123.execute-api.eu-west-1.amazonaws.com/v1"
    client = ReviewApiClient(url, region="eu-west-1", transport=httpx.MockTransport(answer))
    assert client.post("/merges/merge-1/unmerge") == (409, {"code": "conflict", "message": "already unmerged",
                                                             "details": []})  # fmt: skip
    [request] = seen
    assert str(request.url) == f"{url}/merges/merge-1/unmerge" and "x-reviewer" not in request.headers
    authorization = request.headers["authorization"]
    assert (
        authorization.startswith("AWS4-HMAC-SHA256 ")
        and "/eu-west-1/execute-api/aws4_request" in authorization
    )
