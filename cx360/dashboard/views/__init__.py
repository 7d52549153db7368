"""One module per dashboard page; each exposes `render(ctx: PageContext) -> None`."""
