"""Charts of the dashboards (the back office's and the merchant's in the portal): pygal draws SVG
on the server (no JavaScript, nothing from another origin), and each chart goes into the page as
a `data:` image beside its table.

pygal's output carries an inline `<script>` (its tooltips' configuration) and comments with its
home page; both are removed, so the image is only shapes and its own stylesheet."""

import base64
import functools
from xml.etree import ElementTree

import pygal
from pygal.style import Style

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    font_family="system-ui, sans-serif",
    colors=("#417690", "#e0a100", "#ba2121", "#3e8e41", "#7a5195", "#5c5c5c"),
    label_font_size=11,
    major_label_font_size=11,
    value_font_size=11,
    legend_font_size=11,
    title_font_size=13,
)
_OPTIONS = {
    "js": [],  # pygal's default scripts come from a CDN; charts here are plain images
    "style": STYLE,
    "width": 560,
    "height": 260,
    "disable_xml_declaration": True,
    "print_values": False,
    "show_legend": False,
    "margin": 8,
}


def _data_uri(chart) -> str:
    tree = chart.render_tree()
    for parent in tree.iter():
        for child in list(parent):
            if child.tag == "script" or child.tag is ElementTree.Comment:
                parent.remove(child)
    svg = ElementTree.tostring(tree, encoding="unicode")
    if 'xmlns="http://www.w3.org/2000/svg"' not in svg:  # an image needs its namespace
        svg = svg.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def bars(*, title: str, labels: list[str], series: dict[str, list], horizontal: bool = False, **options) -> str:
    """A bar chart (one series per key, a legend when there are several) as a `data:` URI."""
    return _render(
        "hbar" if horizontal else "bar",
        title,
        tuple(labels),
        tuple((name, tuple(values)) for name, values in series.items()),
        tuple(sorted(options.items())),
    )


def line(*, title: str, labels: list[str], values: list, **options) -> str:
    return _render("line", title, tuple(labels), (("orders", tuple(values)),), tuple(sorted(options.items())))


# Drawing costs ~20 ms a chart; the dashboard asks every few seconds for figures that mostly did
# not change (idle lanes, queues at zero), so the same figures are drawn once.
@functools.lru_cache(maxsize=256)
def _render(kind: str, title: str, labels: tuple, series: tuple, options: tuple) -> str:
    if kind == "line":
        chart = pygal.Line(title=title, **{**_OPTIONS, "fill": True, "show_dots": False, **dict(options)})
        chart.x_labels_major_every = max(len(labels) // 6, 1)
        chart.show_minor_x_labels = False
    else:
        kind_class = pygal.HorizontalBar if kind == "hbar" else pygal.Bar
        chart = kind_class(title=title, **{**_OPTIONS, "show_legend": len(series) > 1, **dict(options)})
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, list(values))
    return _data_uri(chart)
