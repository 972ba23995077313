"""The local stand-in for the dead-letter alarm: one alert per queue that got messages, ids only."""

from __future__ import annotations

import json

from crm_hygiene.local.redrive import dead_letter_alert


def test_the_alert_carries_the_ids_of_the_message_and_nothing_else():
    body = json.dumps({"review_id": "r1", "run_id": "run-1", "record_id": "42", "object_type": "contact",
                       "email": "ana@example.com", "note": "Ana Lopez"})  # fmt: skip
    alert = dead_letter_alert("crm-hygiene-dev-apply-dlq", 3, body)
    assert (alert.kind, alert.review_id, alert.run_id, alert.record_id) == (
        "dead_letter",
        "r1",
        "run-1",
        "42",
    )
    assert "apply-dlq: 3" in alert.summary
    text = alert.model_dump_json()
    assert "example.com" not in text and "Lopez" not in text


def test_a_body_that_is_not_ours_still_names_the_queue():
    for body in (
        None,
        "not json",
        json.dumps(["x"]),
        json.dumps({"object_type": "planet", "review_id": "r"}),
    ):
        alert = dead_letter_alert("q-dlq", 1, body)
        assert alert.kind == "dead_letter" and "q-dlq" in alert.summary
