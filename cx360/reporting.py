"""Console reports of pipeline steps (rich tables), kept apart from the work they describe."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from cx360.landing.report import LandingReport, TableLanding


def _landing_row(entry: TableLanding) -> list[str]:
    return [
        f"{entry.batches_loaded:,}",
        f"{entry.batches_replaced:,}",
        f"{entry.batches_skipped:,}",
        f"{entry.rows_read:,}",
        f"{entry.rows_accepted:,}",
        f"{entry.rows_quarantined:,}",
        f"{sum(entry.fields_nulled.values()):,}",
    ]


def print_landing_report(report: LandingReport, console: Console | None = None) -> None:
    """Per table: batches loaded/skipped, rows read, accepted, quarantined, fields nulled;
    then the nulled fields by column and reason, and warnings."""
    # Off a terminal (CI logs, pipes) rich assumes 80 columns; the table needs about 110.
    console = console or Console(width=None if Console().is_terminal else 120)
    table = Table(
        title=f"Landing {report.raw_dir} -> {report.target} ({report.seconds:.1f}s)",
        title_justify="left",
        caption="batch files: loaded (replaced: of which changed content), skipped: already "
        "held; fields nulled: bad optional values landed NULL (audit.landing_field_issues)",
        caption_justify="left",
    )
    table.add_column("table", no_wrap=True)
    for header in (
        "loaded",
        "replaced",
        "skipped",
        "rows read",
        "accepted",
        "quarantined",
        "fields nulled",
    ):
        table.add_column(header, justify="right", no_wrap=True)
    for entry in report.tables:
        style = None if entry.balanced else "bold red"  # a row lost would show here
        table.add_row(entry.table, *_landing_row(entry), style=style)
    table.add_section()
    table.add_row("total", *_landing_row(report.total), style="bold")
    console.print(table)
    for entry in report.tables:
        for key, count in entry.fields_nulled.items():
            console.print(f"  {entry.table}.{key}: {count:,} field(s) landed NULL", highlight=False)
    if report.exported_tables:
        console.print(
            f"copied to {report.target}: {len(report.exported_tables)} table(s) "
            f"({', '.join(report.exported_tables)})"
        )
    if report.warnings:
        console.print(f"[yellow]{len(report.warnings)} warning(s):[/yellow]")
        for warning in report.warnings:
            console.print(f"  [yellow]-[/yellow] {escape(warning)}", highlight=False)
