"""A client of the review API for the command line: a deployed stack's API signed with SigV4 (its IAM
auth: the caller's credentials, the caller's identity as reviewer), or the local stack's front
(``crm-hygiene serve``), which takes the reviewer from ``X-Reviewer`` as the local gateway maps it."""

from __future__ import annotations

import json
from typing import Any

import httpx


class ReviewApiClient:
    """POSTs to the review API; answers (status, JSON body).

    Args:
        base_url: The API's URL (a stack's ``ReviewApiUrl`` output, or ``http://127.0.0.1:8787``).
        region: Sign requests with SigV4 for API Gateway in this region (None: do not sign).
        reviewer: Sent as ``X-Reviewer`` (the local stack; a deployed API ignores it).
    """

    def __init__(self, base_url: str, *, region: str | None = None, reviewer: str | None = None,
                 timeout: float = 60.0, transport: httpx.BaseTransport | None = None) -> None:  # fmt: skip
        self.base_url = base_url.rstrip("/")
        self.region, self.reviewer = region, reviewer
        self._http = httpx.Client(timeout=timeout, transport=transport)

    def post(self, path: str, body: Any = None) -> tuple[int, Any]:
        url = f"{self.base_url}{path}"
        data = b"" if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.reviewer:
            headers["X-Reviewer"] = self.reviewer
        if self.region:
            headers = self._signed(url, data, headers, self.region)
        response = self._http.post(url, content=data, headers=headers)
        try:
            answer = response.json()
        except ValueError:
            answer = None
        return response.status_code, answer

    def _signed(self, url: str, data: bytes, headers: dict[str, str], region: str) -> dict[str, str]:
        import boto3
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        credentials = boto3.Session().get_credentials()
        if credentials is None:
            raise PermissionError("no AWS credentials to sign the request with")
        request = AWSRequest(method="POST", url=url, data=data, headers=headers)
        SigV4Auth(credentials.get_frozen_credentials(), "execute-api", region).add_auth(request)
        return dict(request.headers.items())

    def close(self) -> None:
        self._http.close()
