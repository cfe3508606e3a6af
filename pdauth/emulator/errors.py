"""The API's error answers, with the body Pipedrive sends for each status."""

from __future__ import annotations

from typing import Any, Final

ERROR_INFO: Final = "Please check developers.pipedrive.com"


class ApiError(Exception):
    """A request the REST API refuses; `status` and `message` become Pipedrive's error body."""

    def __init__(self, status: int, message: str, headers: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or []

    def body(self) -> dict[str, Any]:
        if self.status in (401, 403):
            return auth_body(self.status, self.message)
        return envelope(self.message)


def envelope(message: str) -> dict[str, Any]:
    """Pipedrive's application error body (400, 404, 405, 410, 429, 5xx)."""
    return {
        "success": False,
        "error": message,
        "error_info": ERROR_INFO,
        "data": None,
        "additional_data": None,
    }


def auth_body(status: int, message: str) -> dict[str, Any]:
    """401 and 403 come from Pipedrive's gateway in a shape of their own: `errorCode`, no data fields
    (live captures; the SDK's `UnathorizedResponse` declares success, error and errorCode)."""
    return {"success": False, "error": message, "errorCode": status, "error_info": ERROR_INFO}


def invalid(message: str) -> ApiError:
    """A 400 validation error: a parameter or body field of the wrong type or value."""
    return ApiError(400, message)


def not_found(label: str) -> ApiError:
    """404 in Pipedrive's words: "Deal not found", "Person not found", ..."""
    return ApiError(404, f"{label} not found")
