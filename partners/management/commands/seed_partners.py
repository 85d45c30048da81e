from django.core.management.base import BaseCommand

from partners import demo


class Command(BaseCommand):
    help = (
        "Put the demo members in a demo cohort with open requests for tomorrow evening (the "
        "matcher proposes them to each other), and make the curator a moderator."
    )

    def handle(self, *args, **options) -> None:
        result = demo.demo_ensure()
        self.stdout.write(
            self.style.SUCCESS(
                f"Partners: cohort {result['cohort']!r}, invite code {result['code']}"
            )
        )
        for email in result["requests"]:
            self.stdout.write(f"  open request for {email}")
