"""The cx360 BI dashboard (Streamlit) over the published warehouse; see docs/dashboard.md.

app.py          entry point: sidebar (publish status, filters) and page navigation
data.py         every query, read-only, on <warehouse>/cx360.duckdb
formatting.py   number formats and CSV export with spreadsheet formulas neutralised
filters.py      the filters and which fct_kpi cut a KPI is shown for
views/          one module per page, each a `render(ctx)`
launcher.py     `cx360 dashboard`: runs `streamlit run app.py`
"""
