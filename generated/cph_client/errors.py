"""Contains shared errors types that can be raised from API functions"""

import httpx
import orjson


class UnexpectedStatus(Exception):
    """Raised by api functions when the response status an undocumented status and Client.raise_on_unexpected_status is True"""

    def __init__(self, status_code: int, content: bytes):
        self.status_code = status_code
        self.content = content

        super().__init__(
            f"Unexpected status code: {status_code}\n\nResponse content:\n{content.decode(errors='ignore')}"
        )


class CphApiError(Exception):
    """An answer that is not what was asked for: a status other than 200, or a 200 that is not a page.

    error_code and error_msg are Huawei's (e.g. APIGW.0301, CPS.0001) when the body is Huawei's error body;
    otherwise error_code is None and error_msg says what came back. request_id is the body's, else the
    X-Request-Id header's, else None. content holds the raw body; it is in neither str() nor repr().
    """

    def __init__(
        self,
        status: int,
        error_code: str | None,
        error_msg: str,
        request_id: str | None = None,
        content: bytes = b"",
    ):
        self.status = status
        self.error_code = error_code
        self.error_msg = error_msg
        self.request_id = request_id
        self.content = content
        code = f" {error_code}" if error_code else ""
        rid = f" (request_id {request_id})" if request_id else ""
        super().__init__(f"HTTP {status}{code}: {error_msg}{rid}")

    @classmethod
    def from_response(cls, response: httpx.Response, reason: str | None = None) -> "CphApiError":
        """The error an answer stands for; reason, when given, replaces error_msg when the body has none."""
        content = response.content
        request_id = response.headers.get("X-Request-Id") or None
        try:
            body = orjson.loads(content)
        except orjson.JSONDecodeError:
            body = None
        if isinstance(body, dict):
            if isinstance(body.get("request_id"), str):
                request_id = body["request_id"]
            code, msg = body.get("error_code"), body.get("error_msg")
            if isinstance(code, str) and isinstance(msg, str):
                return cls(response.status_code, code, msg, request_id, content)
        kind = response.headers.get("Content-Type", "no Content-Type").split(";")[0]
        what = reason or "the answer is not Huawei's error body"
        return cls(response.status_code, None, f"{what} ({kind}, {len(content)} bytes)", request_id, content)


__all__ = ["CphApiError", "UnexpectedStatus"]
