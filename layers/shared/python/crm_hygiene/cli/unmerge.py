"""``crm-hygiene unmerge <review_id>``: undo a performed merge through the review API
(``POST /merges/{review_id}/unmerge``), so the command and the console go through the same route,
audit and authorization. Against a deployed stack (``--stack crm-hygiene-prod`` reads its
``ReviewApiUrl`` output; the request is signed with your AWS credentials, which name you in the audit)
or the local one (``--local``: ``crm-hygiene serve`` on 127.0.0.1, reviewer from ``--reviewer``).
Exit code 0: unmerged; 1: refused (never merged, already unmerged: the message says which and when);
2: it could not be asked (no such stack, no credentials, the API unreachable).
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any

from crm_hygiene.errors import InputError


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("review_id", help="the merge's review id (merge-...)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--stack", help="a deployed stack: its ReviewApiUrl output, requests signed (SigV4)")
    where.add_argument("--local", action="store_true", help="the local stack of crm-hygiene serve (default)")
    where.add_argument("--url", help="the review API's URL, as it is")
    parser.add_argument("--port", type=int, default=8787, help="the local review API's port (default 8787)")
    parser.add_argument("--region", help="sign for this region (with --url; --stack uses the stack's)")
    parser.add_argument("--reviewer", help="who unmerges, locally (default: your user name)")
    parser.add_argument("--json", action="store_true", help="print the API's answer as JSON")


def run(options: argparse.Namespace) -> int:
    from crm_hygiene.adapters.review_api import ReviewApiClient

    region = options.region
    if options.stack:
        from crm_hygiene.wiring.aws import review_api_of_stack

        url, region = review_api_of_stack(options.stack)
    else:
        url = options.url or f"http://127.0.0.1:{options.port}"
    reviewer = None if options.stack else (options.reviewer or getpass.getuser())
    client = ReviewApiClient(url, region=region, reviewer=reviewer)
    try:
        status, body = client.post(f"/merges/{options.review_id}/unmerge")
    except OSError as exc:
        raise InputError(f"the review API at {url} cannot be reached ({type(exc).__name__})") from None
    except Exception as exc:  # noqa: BLE001  # httpx's errors: connection refused, timeouts
        raise InputError(f"the review API at {url} did not answer ({type(exc).__name__})") from None
    finally:
        client.close()
    if options.json:
        print(json.dumps(body, indent=2))
    if status == 200:
        if not options.json:
            _print(body)
        return 0
    message = body.get("message") if isinstance(body, dict) else None
    print(f"crm-hygiene: unmerge refused (HTTP {status}): {message or body}", file=sys.stderr)
    return 1 if status in (404, 409) else 2


def _print(body: dict[str, Any]) -> None:
    print(f"unmerged {body['review_id']} (survivor {body['survivor_id']}):")
    for restored in body["restored"]:
        same = restored["old_id"] == restored["new_id"]
        how = "reinstated" if same else f"recreated as {restored['new_id']}"
        print(f"  {restored['object_type']} {restored['old_id']}: {how}")
    if body["survivor_restored"]:
        print(f"  survivor fields back: {', '.join(body['survivor_restored'])}")
    for review_id in body["conflicts"]:
        print(f"  changed since the merge, to review: {review_id}")
