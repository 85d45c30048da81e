from django.core.management.base import BaseCommand, CommandError

from rubrics import services


class Command(BaseCommand):
    help = (
        "Load the question bank from YAML: frameworks, case studies and rubrics. Idempotent; a "
        "changed file bumps the version. A bad file is reported and loads nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Overwrite objects edited in the admin since their last load or export.",
        )

    def handle(self, *args, force: bool = False, **options) -> None:
        report = services.content_load(force=force)
        for source, result in report.results:
            if result.action != "unchanged" or options["verbosity"] > 1:
                self.stdout.write(f"  {result.action:9} {source} (version {result.version})")
        self.stdout.write(
            f"Content: {report.count('created')} created, {report.count('updated')} updated, "
            f"{report.count('unchanged')} unchanged, {len(report.errors)} refused."
        )
        if report.errors:
            for error in report.errors:
                self.stderr.write(self.style.ERROR(error))
            raise CommandError(
                f"{len(report.errors)} content file(s) refused; nothing from them was loaded."
            )
