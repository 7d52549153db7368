"""User-facing errors: what went wrong and what to do about it, never a bare stack trace."""

from __future__ import annotations


class Cx360Error(Exception):
    """An error the user can act on. `hint` says what to do next."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class ContractError(Cx360Error):
    """Raw input breaks the landing contract as a whole (missing table or column)."""


class BuildError(Cx360Error):
    """A dbt build, validation or publish step failed."""
