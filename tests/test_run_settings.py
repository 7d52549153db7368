"""The settings of one refresh (cx360.run_settings): parsed from the CLI and Dagster's run
config, checked before anything runs, and handed to dbt as vars."""

from __future__ import annotations

import json

import pytest

from cx360.cli import build_parser
from cx360.errors import Cx360Error
from cx360.run_settings import RunSettings


def _settings(*argv: str) -> RunSettings:
    args = build_parser().parse_args(["run", "--raw-dir", "raw", *argv])
    return RunSettings.parse(
        args.as_of, args.reporting_currency, args.business_model, args.revenue_quarantine_max_share
    )


def test_unset_settings_leave_the_project_defaults() -> None:
    assert _settings().dbt_args() == []


def test_every_flag_reaches_dbt_as_a_var() -> None:
    settings = _settings(
        "--as-of",
        "1997-09-30",
        "--reporting-currency",
        "USD",
        "--business-model",
        "transactional",
        "--revenue-quarantine-max-share",
        "0.25",
    )
    flag, values = settings.dbt_args()
    assert flag == "--vars"
    assert json.loads(values) == {
        "as_of_date": "1997-09-30",
        "reporting_currency": "USD",
        "business_model": "transactional",
        "revenue_quarantine_max_share": 0.25,
    }


def test_empty_strings_from_dagster_run_config_mean_unset() -> None:
    assert RunSettings.parse("", "", "", "") == RunSettings()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--as-of", "30/09/1997"], "is not a date"),
        (["--reporting-currency", "usd"], "not an ISO 4217 code"),
        (["--revenue-quarantine-max-share", "20%"], "is not a number"),
        (["--revenue-quarantine-max-share", "20"], "is not between 0 and 1"),
    ],
)
def test_a_wrong_setting_is_a_clear_error(argv: list[str], message: str) -> None:
    with pytest.raises(Cx360Error, match=message):
        _settings(*argv)
