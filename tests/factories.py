import factory
from django.utils import timezone

from portal import services
from portal.models import Building, District, Membership, Neighbourhood, Organisation, Residence, Street, User
from stations.models import Station

DEFAULT_PASSWORD = "correct-horse-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.cn")
    display_name = factory.Sequence(lambda n: f"居民{n}")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        """Every factory user has a confirmed primary e-mail so allauth lets them log in."""
        if create and extracted is not False:
            from allauth.account.models import EmailAddress

            self.save()
            EmailAddress.objects.get_or_create(user=self, email=self.email, defaults={"verified": True, "primary": True})


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"测试{n}区")


class StreetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Street

    district = factory.SubFactory(DistrictFactory)
    name = factory.Sequence(lambda n: f"测试{n}街道")


class NeighbourhoodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Neighbourhood

    street = factory.SubFactory(StreetFactory)
    name = factory.Sequence(lambda n: f"测试{n}居民区")


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building

    street = factory.SubFactory(StreetFactory)
    name = factory.Sequence(lambda n: f"测试{n}大厦")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"测试企业{n}")
    kind = Organisation.Kind.ENTERPRISE
    street = factory.SubFactory(StreetFactory)


class StationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Station

    name = factory.Sequence(lambda n: f"测试服务站{n}")
    slug = factory.Sequence(lambda n: f"station-{n}")
    kind = Station.Kind.BUILDING
    street = factory.SubFactory(StreetFactory)
    address = factory.Sequence(lambda n: f"测试路{n}号")
    latitude = "31.215000"
    longitude = "121.445000"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)

    class Params:
        verified = factory.Trait(verified_at=factory.LazyFunction(timezone.now))


class ResidenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Residence

    user = factory.SubFactory(UserFactory)
    neighbourhood = factory.SubFactory(NeighbourhoodFactory)


def make_staff(role, *, street=None, station=None, merchant=None, user=None):
    """A staff member with a role, through the same service admin uses."""
    user = user or UserFactory()
    services.staff_assign(user=user, role=role, actor=None, street=street, station=station, merchant=merchant)
    user.refresh_from_db()
    return user
