from django.core.management.base import BaseCommand

from rubrics import services


class Command(BaseCommand):
    help = "Write frameworks, case studies and rubrics from the database back to their YAML files."

    def handle(self, *args, **options) -> None:
        written = services.content_export()
        for path in written:
            self.stdout.write(f"  wrote {path}")
        self.stdout.write(f"Exported {len(written)} file(s).")
