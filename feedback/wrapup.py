"""The wrap-up page's aids, as plain data for its template: the error summary whose items link
to each field, the progress per step, and what the interviewer sees beside the scorecard."""

from .forms import WrapupForm

FEEDBACK_LABELS = {
    "reflection": "Your reflection",
    "strengths": "Strengths",
    "improvements": "Things to improve",
}


def _field_targets(sections: list[dict], checklist: list[dict]) -> dict[str, tuple[str, str]]:
    """Form field name -> (what a person calls it, the id of the element to focus)."""
    targets: dict[str, tuple[str, str]] = {}
    for section in sections:
        for row in section["rows"]:
            title = row["criterion"].title
            first = row["anchors"][0]["value"] if row["anchors"] else "not_observed"
            targets[row["level_name"]] = (title, f"{row['level_name']}-{first}")
            targets[row["note_name"]] = (f"{title} (note)", row["note_name"])
            for signal in row["signals"]:
                if signal["field"]:
                    targets[signal["field"]] = (f"{title}: red flag", signal["field"])
    for item in checklist:
        targets[item["field"]] = (item["concept"], f"{item['field']}-unprompted")
    for name, label in FEEDBACK_LABELS.items():
        targets[name] = (label, f"id_{name}")
    return targets


def error_summary(form: WrapupForm | None, sections: list[dict], checklist: list[dict]) -> dict:
    """The errors of a refused submission, in the order of the page: a title (the form's
    general error, or a count) and one item per field with the id it links to."""
    if form is None or not form.is_bound or not form.errors:
        return {}
    targets = _field_targets(sections, checklist)
    order = {name: index for index, name in enumerate(targets)}
    items = []
    for name in sorted(form.fields, key=lambda name: order.get(name, len(order))):
        for message in form.errors.get(name, []):
            label, target = targets.get(name, (name, ""))
            # The services name the criterion in their messages; the summary names it already.
            message = str(message).removeprefix(f"{label}: ")
            items.append(
                {"label": label, "message": message[:1].upper() + message[1:], "target": target}
            )
    general = list(form.non_field_errors())
    count = len(items)
    title = general[0] if general else f"{count} item{'s' if count != 1 else ''} need attention"
    return {"title": title, "items": items, "others": general[1:]}


def progress(sections: list[dict], *, evidence_needed: bool) -> dict:
    """Per step, how many of its criteria are scored (a level or "not observed"; on the
    scorecard, with evidence), and over all. The page's script keeps it current as you go."""
    steps, done_all, total_all = [], 0, 0
    for section in sections:
        rows = section["rows"]
        if not rows:
            continue
        done = sum(
            1 for row in rows if row["value"] and (row["note"].strip() or not evidence_needed)
        )
        steps.append(
            {
                "key": section["key"] or "across",
                "title": section["title"],
                "position": section["position"],
                "done": done,
                "total": len(rows),
            }
        )
        done_all, total_all = done_all + done, total_all + len(rows)
    return {"steps": steps, "done": done_all, "total": total_all}


def live_scores(sections: list[dict], live: dict, marks: list[dict], checklist: list) -> dict:
    """The interviewer's live scores and marks, for the column beside the scorecard: per
    criterion in page order its live level and evidence; the concepts ticked and red flags
    observed, named."""
    rows = []
    for section in sections:
        for row in section["rows"]:
            score = live.get(row["criterion"].key)
            if score is None:
                continue
            rows.append(
                {
                    "title": row["criterion"].title,
                    "target": row["level_name"],
                    "level": "not observed" if score.not_observed else score.level,
                    "evidence": score.evidence,
                }
            )
    concepts = {item["key"]: item["concept"] for item in checklist}
    flags = {
        signal["key"]: signal["text"]
        for section in sections
        for row in section["rows"]
        for signal in row["signals"]
        if signal["key"]
    }
    labels = {"unprompted": "unprompted", "hinted": "after a hint", "missed": "missed"}
    named = []
    for mark in marks:
        if mark["kind"] == "concept" and mark["key"] in concepts:
            named.append(
                {"kind": "concept", "text": concepts[mark["key"]], "value": labels[mark["value"]]}
            )
        elif mark["kind"] == "flag" and mark["key"] in flags:
            named.append({"kind": "flag", "text": flags[mark["key"]], "value": "observed"})
    return {"scores": rows, "marks": named}
