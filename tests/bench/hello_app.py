"""The portal for gunicorn with a bare /__hello answer in front, the benchmark's yardstick."""

from portal import create_app

portal = create_app()


def app(environ, start_response):
    if environ.get("PATH_INFO") == "/__hello":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
        return [b"hello"]
    return portal(environ, start_response)
