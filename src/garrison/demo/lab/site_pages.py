"""The content a lab site serves: a bilingual page with its stylesheet and script."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from http import HTTPStatus

from garrison.demo.lab.http_wire import Response, plain_response

STYLESHEET_PATH = "/static/site.css"
SCRIPT_PATH = "/static/site.js"
HEALTH_PATH = "/healthz"


@dataclass(frozen=True, slots=True)
class SitePage:
    title: str
    heading_vi: str
    heading_en: str
    paragraphs_vi: tuple[str, ...]
    paragraphs_en: tuple[str, ...]
    accent_colour: str = "#b71c1c"


def render_site(page: SitePage) -> dict[str, Response]:
    """Every path the site answers, with its response when the site is healthy."""
    html = Response(
        status=HTTPStatus.OK,
        content_type="text/html; charset=utf-8",
        body=_render_html(page).encode("utf-8"),
    )
    return {
        "/": html,
        "/index.html": html,
        STYLESHEET_PATH: Response(
            status=HTTPStatus.OK,
            content_type="text/css; charset=utf-8",
            body=_STYLESHEET.replace("ACCENT", page.accent_colour).encode("utf-8"),
        ),
        SCRIPT_PATH: Response(
            status=HTTPStatus.OK,
            content_type="text/javascript; charset=utf-8",
            body=_SCRIPT.encode("utf-8"),
        ),
        HEALTH_PATH: plain_response(HTTPStatus.OK, "ok"),
    }


def _render_html(page: SitePage) -> str:
    vietnamese = "\n".join(f"      <p>{escape(text)}</p>" for text in page.paragraphs_vi)
    english = "\n".join(f"      <p>{escape(text)}</p>" for text in page.paragraphs_en)
    return f"""<!DOCTYPE html>
<html lang="vi">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{escape(page.title)}</title>
    <link rel="stylesheet" href="{STYLESHEET_PATH}">
    <script src="{SCRIPT_PATH}" defer></script>
  </head>
  <body>
    <header><h1>{escape(page.title)}</h1></header>
    <main>
      <section lang="vi">
      <h2>{escape(page.heading_vi)}</h2>
{vietnamese}
      </section>
      <section lang="en">
      <h2>{escape(page.heading_en)}</h2>
{english}
      </section>
    </main>
    <footer><span id="updated">&nbsp;</span></footer>
  </body>
</html>
"""


_STYLESHEET = """body { margin: 0; font-family: system-ui, sans-serif; color: #212121; }
header { background: ACCENT; color: #fff; padding: 1rem 2rem; }
main { max-width: 48rem; margin: 0 auto; padding: 1rem 2rem; }
section + section { border-top: 1px solid #e0e0e0; margin-top: 1rem; }
footer { color: #757575; font-size: 0.875rem; padding: 1rem 2rem; }
"""

_SCRIPT = """document.addEventListener("DOMContentLoaded", function () {
  var updated = document.getElementById("updated");
  if (updated) {
    updated.textContent = "Cập nhật / Updated: " + new Date().toLocaleString();
  }
});
"""
