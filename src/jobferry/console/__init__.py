"""The web console: server-rendered pages (Jinja2 templates, a little own JavaScript) over the
same services as the API, mounted at ``/console`` by the server."""
