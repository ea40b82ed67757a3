"""How to cite one quote: who said it, in which interview, in which paper, and its permalink."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PAPER = (
    'Côté et al. (2024), "Quality issues in machine learning software systems", '
    "Empirical Software Engineering."
)
"""The paper the quotes come from, short form (the DOI is added from the app's config)."""


def speaker(label: str, role: str, interview: int, participant_role: str | None) -> str:
    """The speaker as the data names them: the interviewee with the role they state (from the
    participants' profiles), an interviewer by the label the transcript gives."""
    if role == "interviewee":
        who = f"Interviewee of interview {interview}"
        return f"{who} ({participant_role})" if participant_role else who
    if label.lower().startswith("interviewer"):
        return f"{label} of interview {interview}"
    return f"{label or 'Unknown speaker'} ({role}), interview {interview}"


def cite_line(
    config: Mapping[str, Any],
    *,
    label: str,
    role: str,
    interview: int,
    participant_role: str | None,
    permalink: str,
) -> str:
    """The "cite this" line of an excerpt."""
    who = speaker(label, role, interview, participant_role)
    return f"{who}, in {PAPER} doi:{config['DATASET_DOI']}. {permalink}"
