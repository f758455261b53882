"""The HTTP API: DataArts Factory v1 routes plus jobferry's extensions. A thin adapter: parse,
call one service, render."""
