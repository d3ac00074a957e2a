"""Two-factor helpers for tests: an owner's authenticator, its current code, and a test client
whose logins pass the second step as the member would."""

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


def confirmed_device(user) -> TOTPDevice:
    """The user's authenticator, set up and confirmed."""
    device = TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def current_code(device: TOTPDevice) -> str:
    """The code the user's app shows now (by the clock as it is, frozen or travelling)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def pass_second_step(client: Client, user) -> None:
    """Mark the client's session as having passed the code step (as login/verify/ does) when the
    user has an authenticator."""
    device = TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


class TwoFactorClient(Client):
    """`login()` and `force_login()` also pass the second step, so that tests about something
    else can log in members whose role requires two-factor login (owners) and staff (the admin
    requires it of every staff login: one without an authenticator is given one here)."""

    def _login(self, user, backend=None):
        super()._login(user, backend)
        if user.is_staff:
            confirmed_device(user)
        pass_second_step(self, user)
