"""Export an executed notebook to one HTML file that reads the same offline.

People open a shared report on a laptop in a train, or attach it to a support
ticket that is viewed in a locked-down browser. Our results are plain HTML
tables and text, so nothing needs JavaScript: the template drops nbconvert's
CDN scripts (require.js, MathJax, mermaid, the widget renderer) and keeps the
stylesheet inline. `external_resources()` proves it by listing every script,
stylesheet, font or frame the page would fetch from elsewhere.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat

from smtpkit.reporting.scrub import redact_notebook, strip_widget_state
from smtpkit.secrets import redact

_TEMPLATE_NAME = "smtpkit_offline.html.j2"

# Cells only useful with a live kernel (settings forms); a shared report leaves them out.
INTERACTIVE_TAG = "interactive"
# Cells for the person who makes the report (how to run it), not for the one who reads it: left out too.
SENDER_TAG = "sender"

# The lab template without anything that loads code from a CDN.
_TEMPLATE = r"""
{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{% block extra_css %}
<style type="text/css">
  /* shared reports: let wide tables scroll instead of overflowing */
  .jp-OutputArea-output table { display: block; overflow-x: auto; }
  .smtpkit-report { max-width: 100%; }
  /* JupyterLab breaks every word of a text output at the edge (word-break: break-all): wrap between words */
  .jp-OutputArea-output pre { word-break: normal; overflow-wrap: anywhere; }
  /* printed: every closed <details> block open, tables whole, nothing cut at the right edge */
  @media print {
    details::details-content { content-visibility: visible; display: block; }
    details > summary { list-style: none; }
    .jp-OutputArea-output table { display: table; overflow: visible; }
    .smtpkit-report .smtpkit-scroll { overflow: visible; }
  }
</style>
{% endblock extra_css %}
{% block footer_js %}
{{ super() }}
<script>
  /* browsers without ::details-content: open every <details> block before printing, as they were after */
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details:not([open])").forEach(function (d) {
      d.setAttribute("open", ""); d.setAttribute("data-smtpkit-print", "");
    });
  });
  window.addEventListener("afterprint", function () {
    document.querySelectorAll("details[data-smtpkit-print]").forEach(function (d) {
      d.removeAttribute("open"); d.removeAttribute("data-smtpkit-print");
    });
  });
</script>
{% endblock footer_js %}
"""


def html_exporter(*, hide_code: bool = True):  # type: ignore[no-untyped-def]
    """An nbconvert HTMLExporter configured for offline, shareable reports."""
    import jinja2
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[jinja2.DictLoader({_TEMPLATE_NAME: _TEMPLATE})],
        exclude_input=hide_code,
        exclude_input_prompt=hide_code,
        exclude_output_prompt=hide_code,
        embed_images=True,
    )
    exporter.template_file = _TEMPLATE_NAME
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags={INTERACTIVE_TAG, SENDER_TAG}, enabled=True), enabled=True
    )
    return exporter


def notebook_to_html(nb: nbformat.NotebookNode, *, title: str | None = None, hide_code: bool = True) -> str:
    """Render an executed notebook as one self-contained, secret-free HTML document."""
    nb = nbformat.from_dict(dict(nb))
    strip_widget_state(nb)
    redact_notebook(nb)
    if title:
        nb.metadata["title"] = title
    body, _resources = html_exporter(hide_code=hide_code).from_notebook_node(nb)
    return redact(body)


def write_html(
    nb: nbformat.NotebookNode, path: str | Path, *, title: str | None = None, hide_code: bool = True
) -> Path:
    out = Path(path)
    out.write_text(notebook_to_html(nb, title=title, hide_code=hide_code), encoding="utf-8")
    return out


_REMOTE = re.compile(r"^\s*(?:https?:)?//", re.I)
_CSS_URL = re.compile(r"""(?:@import\s+(?:url\()?|url\()\s*['"]?\s*((?:https?:)?//[^'")\s]+)""", re.I)


class _ResourceFinder(HTMLParser):
    """Collects what a browser would fetch from another host to render the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): v or "" for k, v in attrs}
        if tag == "script" and _REMOTE.match(a.get("src", "")):
            self.found.append(f"script {a['src']}")
        elif tag == "link" and _REMOTE.match(a.get("href", "")):
            rel = a.get("rel", "").lower()
            if any(r in rel for r in ("stylesheet", "preload", "modulepreload", "icon", "import")):
                self.found.append(f"link {a['href']}")
        elif tag in ("img", "iframe", "embed", "source", "video", "audio") and _REMOTE.match(a.get("src", "")):
            self.found.append(f"{tag} {a['src']}")
        elif tag == "object" and _REMOTE.match(a.get("data", "")):
            self.found.append(f"object {a['data']}")
        if tag == "style":
            self._in_style = True
        if "style" in a:
            self.found += [f"inline style url {u}" for u in _CSS_URL.findall(a["style"])]

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.found += [f"css {u}" for u in _CSS_URL.findall(data)]


def external_resources(html_text: str) -> list[str]:
    """Every remote script, stylesheet, font, image or frame the page would load (links to read are fine)."""
    finder = _ResourceFinder()
    finder.feed(html_text)
    finder.close()
    return finder.found
