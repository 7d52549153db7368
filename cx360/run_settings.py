"""The settings of one refresh that the data cannot tell: `cx360 run --as-of DATE
--reporting-currency CUR --business-model MODEL --revenue-quarantine-max-share SHARE`, and the
same fields of the Dagster resource.

Each is a dbt var (dbt_project.yml: as_of_date, reporting_currency, business_model,
revenue_quarantine_max_share); unset, the project's default applies. The last one is the
operator's way through the revenue-quarantine gate for one run (a CRM export that lags the
billing feed by a few days leaves orders of customers not delivered yet), said on the command
line rather than by editing the project. The purchase model step and the dbt build read the
same vars.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass

from cx360.errors import Cx360Error

BUSINESS_MODELS = ("auto", "subscription", "transactional", "mixed")


@dataclass(frozen=True)
class RunSettings:
    as_of: dt.date | None = None
    reporting_currency: str | None = None
    business_model: str | None = None
    revenue_quarantine_max_share: float | None = None

    def __post_init__(self) -> None:
        if self.reporting_currency is not None and not re.fullmatch(
            r"[A-Z]{3}", self.reporting_currency
        ):
            raise Cx360Error(
                f"reporting currency {self.reporting_currency!r} is not an ISO 4217 code",
                "pass three upper-case letters, e.g. --reporting-currency USD",
            )
        if self.business_model is not None and self.business_model not in BUSINESS_MODELS:
            raise Cx360Error(
                f"unknown business model {self.business_model!r}",
                f"choose one of {', '.join(BUSINESS_MODELS)}",
            )
        share = self.revenue_quarantine_max_share
        if share is not None and not 0 <= share <= 1:
            raise Cx360Error(
                f"revenue quarantine share {share} is not between 0 and 1",
                "pass a share of a revenue table's rows, e.g. --revenue-quarantine-max-share 0.2",
            )

    @classmethod
    def parse(
        cls,
        as_of: str | dt.date | None = None,
        reporting_currency: str | None = None,
        business_model: str | None = None,
        revenue_quarantine_max_share: str | float | None = None,
    ) -> RunSettings:
        """From text (CLI, Dagster run config); empty strings mean unset."""
        day = None
        if isinstance(as_of, dt.date):
            day = as_of
        elif as_of:
            try:
                day = dt.date.fromisoformat(as_of)
            except ValueError as err:
                raise Cx360Error(
                    f"as-of day {as_of!r} is not a date", "write it as YYYY-MM-DD"
                ) from err
        share = None
        if revenue_quarantine_max_share not in (None, ""):
            try:
                share = float(revenue_quarantine_max_share)
            except ValueError as err:
                raise Cx360Error(
                    f"revenue quarantine share {revenue_quarantine_max_share!r} is not a number",
                    "write it as a share, e.g. 0.2 for 20 %",
                ) from err
        return cls(day, reporting_currency or None, business_model or None, share)

    def dbt_vars(self) -> dict[str, str | float]:
        values = {
            "as_of_date": self.as_of.isoformat() if self.as_of else None,
            "reporting_currency": self.reporting_currency,
            "business_model": self.business_model,
            "revenue_quarantine_max_share": self.revenue_quarantine_max_share,
        }
        return {k: v for k, v in values.items() if v is not None}

    def dbt_args(self) -> list[str]:
        """`--vars` for a dbt invocation, or nothing when every setting is the default."""
        values = self.dbt_vars()
        return ["--vars", json.dumps(values)] if values else []
