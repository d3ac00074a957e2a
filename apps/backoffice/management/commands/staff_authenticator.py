"""`manage.py staff_authenticator <username> [--replace]`: an authenticator for a staff login.

The admin asks for a code from an authenticator app at every login (logistics/admin_site.py).
This makes the staff member's TOTP key and prints it as a QR code and an otpauth:// link to scan
into the app (docs/operations.md); whoever runs it has shell access to production already, so the
key is trusted without a first code. Give the QR code to the staff member only, in person or over
a channel you would trust with a password.
"""

import io

import qrcode
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from apps.merchants.exceptions import TwoFactorError
from apps.merchants.two_factor import staff_authenticator_issue


class Command(BaseCommand):
    help = "Make the authenticator (TOTP) a staff login needs for the admin, and print its QR code."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--replace", action="store_true", help="replace the login's authenticator")

    def handle(self, *args, username: str, replace: bool, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No login {username!r}.")
        try:
            device = staff_authenticator_issue(user=user, replace=replace)
        except TwoFactorError as exc:
            raise CommandError(exc.message) from exc
        code = qrcode.QRCode(border=2)
        code.add_data(device.config_url)
        picture = io.StringIO()
        code.print_ascii(out=picture, invert=True)
        self.stdout.write(picture.getvalue())
        self.stdout.write(f"Scan the code above into an authenticator app, or add this link:\n{device.config_url}")
        self.stdout.write(f"{username} logs in to the admin with the password and the app's current code.")
