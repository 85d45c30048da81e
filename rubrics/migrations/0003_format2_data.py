# Format 2, step 2 of 3: sensible format-2 numbers for existing rubrics, and their content hashes.
#
# 0002 gave every rubric the signal bands and hint caps of rubrics/content/default.yaml (strong
# hire from +0.50, hire +0.20, lean hire 0, lean no hire -0.25, no hire -0.75; caps 3, 2, 2) and
# a minimum coverage of 0.80. Here: the required steps of default.yaml (data, serve, monitor)
# that the rubric's framework has, and empty expectations per target level on every criterion
# (to be written by the curators, or loaded from the format-2 file).
#
# A rubric in sync with its file (its stored hash is that of its old document) gets the hash of
# its format-2 document, so loading the format-2 file updates it rather than reporting a
# conflict; one edited in the admin keeps its old hash and conflicts, as it should.

from django.db import migrations

from casestudies.content import content_hash

LEVELS = ("mid", "senior", "staff")
REQUIRED_STEPS = ("data", "serve", "monitor")


def _criteria(rubric):
    criteria = rubric.criteria.select_related("framework_step").order_by("position")
    return [(c, list(c.levels.order_by("level"))) for c in criteria]


def _criterion_v1(c, levels):
    return {
        "key": c.key,
        "step": c.framework_step.key if c.framework_step_id else "",
        "title": c.title,
        "description": c.description,
        "weight": c.weight,
        "levels": {level.level: level.anchor for level in levels},
    }


def _doc_v1(rubric, criteria):
    return {
        "slug": rubric.slug,
        "title": rubric.title,
        "framework": rubric.framework.slug,
        "description": rubric.description,
        "hire_thresholds": {
            "no_hire": float(rubric.no_hire_min),
            "lean_hire": float(rubric.lean_hire_min),
            "hire": float(rubric.hire_min),
            "strong_hire": float(rubric.strong_hire_min),
        },
        "level_expectations": {
            "mid": float(rubric.mid_bar),
            "senior": float(rubric.senior_bar),
            "staff": float(rubric.staff_bar),
        },
        "criteria": [_criterion_v1(c, levels) for c, levels in criteria],
    }


def _doc_v2(rubric, criteria):
    """As rubrics.selectors.rubric_doc wrote it when format 2 came in."""
    return {
        "format": 2,
        "slug": rubric.slug,
        "title": rubric.title,
        "framework": rubric.framework.slug,
        "description": rubric.description,
        "bars": {level: float(getattr(rubric, f"{level}_bar")) for level in LEVELS},
        "signal_bands": {
            name: float(getattr(rubric, f"{name}_band"))
            for name in ("strong_hire", "hire", "lean_hire", "lean_no_hire", "no_hire")
        },
        "evidence": {
            "min_coverage": float(rubric.min_coverage),
            "required_steps": list(rubric.required_steps),
        },
        "hint_caps": {
            name: getattr(rubric, f"{name}_hint_cap") for name in ("first", "second", "answer")
        },
        "criteria": [
            {
                **_criterion_v1(c, levels),
                "expectations": {level: c.expectations.get(level, "") for level in LEVELS},
            }
            for c, levels in criteria
        ],
    }


def forwards(apps, schema_editor):
    Rubric = apps.get_model("rubrics", "Rubric")
    for rubric in Rubric.objects.select_related("framework"):
        criteria = _criteria(rubric)
        in_sync = rubric.content_hash == content_hash(_doc_v1(rubric, criteria))
        keys = set(rubric.framework.steps.values_list("key", flat=True))
        rubric.required_steps = [key for key in REQUIRED_STEPS if key in keys]
        for criterion, _levels in criteria:
            if not criterion.expectations:
                criterion.expectations = dict.fromkeys(LEVELS, "")
                criterion.save(update_fields=["expectations"])
        if in_sync:
            rubric.content_hash = content_hash(_doc_v2(rubric, criteria))
        rubric.save(update_fields=["required_steps", "content_hash"])


def backwards(apps, schema_editor):
    # The old thresholds come back (0004 reversed) from the bands around the senior bar, the
    # usual target; hashes are left as they are (a load then reports what changed).
    Rubric = apps.get_model("rubrics", "Rubric")
    for rubric in Rubric.objects.all():
        bar = rubric.senior_bar
        rubric.no_hire_min = max(1, bar + rubric.no_hire_band)
        rubric.lean_hire_min = bar + rubric.lean_hire_band
        rubric.hire_min = min(4, bar + rubric.hire_band)
        rubric.strong_hire_min = min(4, bar + rubric.strong_hire_band)
        rubric.save(update_fields=["no_hire_min", "lean_hire_min", "hire_min", "strong_hire_min"])


class Migration(migrations.Migration):

    dependencies = [
        ("rubrics", "0002_format2"),
        ("casestudies", "0003_format2_data"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
