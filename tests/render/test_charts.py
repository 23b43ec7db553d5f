"""Static charts: inline SVG that survives export, escaped labels, and the same facts in words."""

from __future__ import annotations

from smtpkit.render.charts import Chart, figure_svg, new_figure


def test_figure_is_one_scalable_inline_svg_without_prolog() -> None:
    fig, ax = new_figure(4, 2)
    ax.bar(["a", "b"], [1, 2])
    svg = figure_svg(fig)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "<?xml" not in svg and "DOCTYPE" not in svg
    assert 'width="' not in svg.split(">", 1)[0].replace('style="width', "")


def test_labels_from_untrusted_text_are_escaped_in_the_svg_and_the_caption() -> None:
    fig, ax = new_figure(4, 2)
    ax.set_title("<script>alert(1)</script>")
    chart = Chart(fig, "server said <b>hi</b>", rows=[{"hop": "<img src=x>", "seconds": 1.5}], title="<i>t</i>")
    page = chart.to_html()
    assert "<script>" not in page and "<img src=x>" not in page and "<b>hi</b>" not in page
    assert "&lt;b&gt;hi&lt;/b&gt;" in page


def test_text_view_says_the_same_in_words() -> None:
    fig, _ax = new_figure(4, 2)
    chart = Chart(fig, "Hop 2 took 41 s.", rows=[{"hop": 2, "seconds": 41}], title="Delays")
    text = str(chart)
    assert "Hop 2 took 41 s." in text and "SECONDS" in text and "Delays" in text
    bundle = chart._repr_mimebundle_()
    assert bundle["text/plain"] == text and "<svg" in bundle["text/html"]
