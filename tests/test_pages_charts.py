"""The SVG pictures as pure functions: structure, text alternatives, escaping, contrast."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from qikg.server.charts import RAMP, Matrix, bars, contrast, fill_for, heatmap, strip, text_on

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_contrast_matches_the_wcag_reference_values() -> None:
    # WCAG 2: black on white is 21:1, a colour on itself 1:1; #777777 on white is 4.48:1.
    assert round(contrast("#000000", "#ffffff"), 2) == 21.0
    assert contrast("#336699", "#336699") == 1.0
    assert round(contrast("#777777", "#ffffff"), 2) == 4.48


def test_every_ramp_step_carries_its_printed_number_at_aa_contrast() -> None:
    for fill in RAMP:
        assert contrast(fill, text_on(fill)) >= 4.5, fill


def test_the_ramp_runs_light_to_dark_and_zero_is_the_lightest() -> None:
    assert fill_for(0, 10) == RAMP[0]
    assert fill_for(10, 10) == RAMP[-1]
    assert fill_for(1, 10) != RAMP[0]
    steps = [RAMP.index(fill_for(n, 10)) for n in range(11)]
    assert steps == sorted(steps)


def test_heatmap_has_one_cell_per_row_and_column_with_its_count() -> None:
    matrix = Matrix(
        rows=["a", "b"],
        columns=["p1", "p2", "p3"],
        counts={("a", "p1"): 3, ("b", "p3"): 1},
        row_labels={"a": "Issue A", "b": "Issue B"},
    )
    root = _parse(heatmap(matrix, ident="h", title="T", desc="D"))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "h-title h-desc"
    assert root.find(f"{SVG}title").text == "T"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == "D"  # type: ignore[union-attr]
    cells = [g for g in root.iter(f"{SVG}g") if g.get("class") == "cell"]
    assert len(cells) == 6
    by_key = {(g.get("data-row"), g.get("data-column")): g for g in cells}
    assert by_key[("a", "p1")].find(f"{SVG}text").text == "3"  # type: ignore[union-attr]
    assert by_key[("b", "p2")].find(f"{SVG}text").text == "0"  # type: ignore[union-attr]
    assert by_key[("a", "p1")].find(f"{SVG}title").text == "Issue A, p1: 3"  # type: ignore[union-attr]


def test_labels_are_escaped_in_every_picture() -> None:
    evil = '<script>alert(1)</script>&"'
    matrix = Matrix([evil], [evil], {(evil, evil): 1}, {evil: evil})
    for svg in (
        heatmap(matrix, ident="h", title=evil, desc=evil),
        bars([(evil, 2)], ident="b", title=evil, desc=evil, unit=evil),
        strip(5, [(2, evil)], ident="s", title=evil, desc=evil),
    ):
        assert "<script" not in svg
        root = _parse(svg)  # well-formed: nothing broke out of an attribute or element
        assert not list(root.iter(f"{SVG}script"))
        assert evil in "".join(root.itertext())


def test_bars_are_as_long_as_their_values_and_print_them() -> None:
    root = _parse(bars([("x", 4), ("y", 2), ("z", 0)], ident="b", title="T", desc="D", unit="u"))
    groups = [g for g in root.iter(f"{SVG}g") if g.get("class") == "bar"]
    widths = [int(g.find(f"{SVG}rect").get("width")) for g in groups]  # type: ignore[arg-type, union-attr]
    assert widths[0] == 2 * widths[1] and widths[2] == 0
    assert [g.get("data-value") for g in groups] == ["4", "2", "0"]


def test_strip_places_marks_in_turn_order() -> None:
    root = _parse(strip(11, [(1, "A"), (6, "B"), (11, "C")], ident="s", title="T", desc="D"))
    marks = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "mark"]
    xs = [float(r.get("x", "0")) + 2 for r in marks]
    assert len(marks) == 3
    assert xs[0] < xs[1] < xs[2]
    assert abs((xs[1] - xs[0]) - (xs[2] - xs[1])) < 0.01  # turn 6 is half-way
