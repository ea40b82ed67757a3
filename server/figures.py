"""The numbers behind the pictures, read from the store by named queries, and their tables.

``/charts/issue-phase`` and ``/charts/issue-frequency`` give each picture's numbers as an HTML
table, and with ``.csv`` as CSV: the same numbers the SVG prints.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from flask import Blueprint, Response, abort, current_app, render_template

from qikg.kg.store import Store
from qikg.queries import named_queries
from qikg.queries.run import StoreExecutor, Table, run

from .charts import Matrix, bars, heatmap
from .memo import memo_for
from .state import state_of

bp = Blueprint("figures", __name__)

UNASSIGNED = "unassigned"
"""The column of issues the codebook gives no phase."""


def _answer(store: Store, name: str, **values: str) -> Table:
    return run(named_queries()[name], values, StoreExecutor(store))


def issue_phase(store: Store) -> Matrix:
    """Coded paragraphs per quality issue (rows, by notation) and ML phase of the code."""
    counts: dict[tuple[str, str], int] = {}
    labels: dict[str, str] = {}
    for rec in _answer(store, "phase-issue-matrix", by="code").records():
        notation, phase = str(rec["notation"]), str(rec["phase"])
        counts[(notation, phase)] = int(rec["paragraphs"] or 0)
        labels[notation] = str(rec["label"])
    from qikg.kg.codebook import PHASES  # pipeline order, as the query names the phases

    used = {phase for _, phase in counts}
    columns = [p for p in (*PHASES, UNASSIGNED) if p in used]
    rows = sorted(labels, key=str.lower)
    return Matrix(rows, columns, counts, labels)


@dataclass(frozen=True)
class Frequency:
    notation: str
    label: str
    interviews: int
    paragraphs: int


def issue_frequency(store: Store) -> list[Frequency]:
    """Each quality issue with the interviews and coded paragraphs it was applied in."""
    found = [
        Frequency(
            str(rec["notation"]),
            str(rec["label"]),
            int(rec["interviews"] or 0),
            int(rec["excerpts"] or 0),
        )
        for rec in _answer(store, "issue-evidence").records()
    ]
    return sorted(found, key=lambda f: (-f.paragraphs, -f.interviews, f.notation.lower()))


def memo_issue_phase(store: Store) -> Matrix:
    """:func:`issue_phase`, computed once per store served."""
    return memo_for(state_of(current_app), store).get("issue-phase", issue_phase)


def memo_issue_frequency(store: Store) -> list[Frequency]:
    """:func:`issue_frequency`, computed once per store served."""
    return memo_for(state_of(current_app), store).get("issue-frequency", issue_frequency)


def heatmap_svg(matrix: Matrix) -> str:
    return heatmap(
        matrix,
        ident="issue-phase",
        title="Quality issues by ML phase",
        desc=(
            f"A grid of {len(matrix.rows)} quality issues by {len(matrix.columns)} ML phases; "
            "each cell gives the number of coded paragraphs of the issue, counted under each "
            "phase the codebook gives the issue. Darker cells hold more paragraphs. The same "
            "numbers are in the table linked below the picture."
        ),
    )


def bars_svg(found: list[Frequency]) -> str:
    return bars(
        [(f.label, f.paragraphs) for f in found],
        ident="issue-frequency",
        title="Quality issues by coded paragraphs",
        desc=(
            f"{len(found)} quality issues, one bar each, longest first; each bar's length is "
            "the number of coded paragraphs of the issue, printed after it. The table linked "
            "below the picture also gives the number of interviews."
        ),
        unit="coded paragraphs",
    )


def _csv(header: list[str], rows: list[list[str | int]], name: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    response = Response(out.getvalue(), 200, content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'inline; filename="{name}.csv"'
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _issue_phase_table() -> tuple[list[str], list[list[str | int]]]:
    matrix = memo_issue_phase(state_of(current_app).store)
    header = ["issue", "label", *matrix.columns]
    rows: list[list[str | int]] = [
        [row, matrix.row_labels[row]] + [matrix.count(row, c) for c in matrix.columns]
        for row in matrix.rows
    ]
    return header, rows


def _issue_frequency_table() -> tuple[list[str], list[list[str | int]]]:
    found = memo_issue_frequency(state_of(current_app).store)
    header = ["issue", "label", "paragraphs", "interviews"]
    return header, [[f.notation, f.label, f.paragraphs, f.interviews] for f in found]


TABLES = {
    "issue-phase": (
        "Quality issues by ML phase: coded paragraphs",
        _issue_phase_table,
    ),
    "issue-frequency": (
        "Quality issues: coded paragraphs and interviews",
        _issue_frequency_table,
    ),
}


@bp.route("/charts/<name>.csv", methods=["GET"])
def chart_csv(name: str) -> Response:
    if name not in TABLES:
        abort(404)
    header, rows = TABLES[name][1]()
    return _csv(header, rows, name)


@bp.route("/charts/<name>", methods=["GET"])
def chart_table(name: str) -> str:
    if name not in TABLES:
        abort(404)
    caption, make = TABLES[name]
    header, rows = make()
    return render_template("chart_table.html", title=caption, name=name, header=header, rows=rows)
