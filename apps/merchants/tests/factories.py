import factory
from django.contrib.auth import get_user_model

from apps.merchants.models import Membership, Merchant
from apps.merchants.tests.two_factor import confirmed_device


class MerchantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Merchant

    name = factory.Sequence(lambda n: f"Merchant {n}")
    slug = factory.Sequence(lambda n: f"merchant-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "secret-pass-123")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership
        skip_postgeneration_save = True

    merchant = factory.SubFactory(MerchantFactory)
    user = factory.SubFactory(UserFactory)

    @factory.post_generation
    def two_factor(obj, create, extracted, **kwargs):
        """Owners must log in with two factors, so an owner comes with a confirmed authenticator
        (apps/merchants/tests/two_factor.py); `two_factor=False` makes one without, `True` gives
        any role one."""
        if not create:
            return
        if extracted or (extracted is None and obj.role == Membership.Role.OWNER):
            confirmed_device(obj.user)
