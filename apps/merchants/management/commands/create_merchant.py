import json
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.text import slugify

from apps.merchants.services import api_key_issue, merchant_create, merchant_user_create


class Command(BaseCommand):
    help = "Create a merchant with a portal user and an API key carrying every scope."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--username", help="portal login (default: derived from the name)")
        parser.add_argument("--password", help="portal password (default: random)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    @transaction.atomic
    def handle(self, *args, **options):
        name = options["name"]
        if options["username"] and get_user_model().objects.filter(username=options["username"]).exists():
            raise CommandError(f"The username {options['username']!r} is taken.")
        username = options["username"] or self._free_username(name)
        password = options["password"] or secrets.token_urlsafe(12)
        merchant = merchant_create(name=name)
        merchant_user_create(merchant=merchant, username=username, password=password)
        _, api_key = api_key_issue(merchant=merchant, name="default")
        result = {
            "merchant_id": merchant.pk,
            "merchant": merchant.name,
            "username": username,
            "password": password,
            "api_key": api_key,
        }
        if options["json"]:
            self.stdout.write(json.dumps(result))
        else:
            for key, value in result.items():
                self.stdout.write(f"{key}: {value}")

    def _free_username(self, name: str) -> str:
        base = slugify(name)[:30] or "merchant"
        username = base
        while get_user_model().objects.filter(username=username).exists():
            username = f"{base}-{secrets.token_hex(2)}"
        return username
