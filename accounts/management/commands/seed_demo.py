import os

from django.core.management.base import BaseCommand

from accounts import services


class Command(BaseCommand):
    help = "Create the demo accounts (one interviewer, one candidate, one staff curator)."

    def handle(self, *args, **options) -> None:
        password = os.environ.get("DEMO_PASSWORD", "sevensteps-demo")
        emails = services.demo_accounts_ensure(password=password)
        self.stdout.write(self.style.SUCCESS(f"Demo accounts (password: {password})"))
        for email in emails:
            self.stdout.write(f"  {email}")
