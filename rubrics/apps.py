from django.apps import AppConfig


class RubricsConfig(AppConfig):
    name = "rubrics"
    verbose_name = "Rubrics"

    def ready(self) -> None:
        # The bank's admin checks tagged signals and weights against a framework's rubric; the
        # bank never imports the rubrics, so the rubrics app tells it how to find them.
        from casestudies import forms

        from . import selectors

        forms.register_criteria_lookup(selectors.criteria_for_framework)
