"""``manage.py send_welcome ADDRESS``: sends the welcome mail and prints its
notification id."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from shop.mail import send_welcome


class Command(BaseCommand):
    help = "Sends the welcome mail"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("address")

    def handle(self, *args: Any, **options: Any) -> None:
        result = send_welcome(options["address"])
        self.stdout.write(f"sent {result.notification_id}")
