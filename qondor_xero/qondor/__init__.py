"""Qondor API: the contract (`contract`), the client (`QondorClient`) and its typed errors."""

from . import contract
from .client import Ack, QondorClient, check_api_url, describe_problem, trim_error_message
from .errors import (
    QondorAuthError,
    QondorDailyLimit,
    QondorError,
    QondorNotFound,
    QondorRateLimited,
    QondorServerError,
    QondorValidationError,
)

__all__ = [
    "Ack",
    "QondorAuthError",
    "QondorClient",
    "QondorDailyLimit",
    "QondorError",
    "QondorNotFound",
    "QondorRateLimited",
    "QondorServerError",
    "QondorValidationError",
    "check_api_url",
    "contract",
    "describe_problem",
    "trim_error_message",
]
