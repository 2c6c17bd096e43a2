"""A WSGI application that answers every request with 201, for running the real gunicorn
with the portal's access logger in a test (no Django, no database)."""


def app(environ, start_response):
    start_response("201 Created", [("Content-Type", "text/plain")])
    return [b"ok"]
