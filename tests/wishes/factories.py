"""Wishes for tests: a beneficiary with consent, wishes in any status through the services, party members."""

import io
from datetime import date

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from portal.models import Membership, Organisation, StaffAssignment
from tests.factories import MembershipFactory, NeighbourhoodFactory, OrganisationFactory, StationFactory, UserFactory, make_staff
from wishes import services
from wishes.models import Beneficiary, Wish


class BeneficiaryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Beneficiary

    full_name = factory.Sequence(lambda n: f"胡{'秀兰梅芳英'[n % 5]}{n}")
    gender = Beneficiary.Gender.FEMALE
    birth_year = 1950
    station = factory.SubFactory(StationFactory)
    neighbourhood = factory.LazyAttribute(lambda o: NeighbourhoodFactory(street=o.station.street))
    address = factory.Sequence(lambda n: f"武夷路{100 + n}弄{n % 20 + 1}号{n % 6 + 1}01室")
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    hardship = Beneficiary.Hardship.NEEDY_MEMBER
    consent_on = factory.LazyFunction(date.today)


def staff_of(station):
    """A station staff member of `station` (the scope of the wish admin and services)."""
    return make_staff(StaffAssignment.Role.STATION_STAFF, station=station)


def wish(*, status=Wish.Status.PUBLISHED, station=None, beneficiary=None, actor=None, **fields):
    """A wish made and moved to `status` (draft, review or published) through the services, as staff would."""
    beneficiary = beneficiary or BeneficiaryFactory(**({"station": station} if station else {}))
    station = station or beneficiary.station
    actor = actor or staff_of(station)
    fields.setdefault("title", "一台血糖测量仪")
    fields.setdefault("category", Wish.Category.GOODS)
    fields.setdefault("estimated_value", 200)
    made = services.wish_create(beneficiary=beneficiary, station=station, actor=actor, **fields)
    if status == Wish.Status.REVIEW:
        made = services.wish_submit(wish=made, actor=actor)
    elif status == Wish.Status.PUBLISHED:
        made = services.wish_publish(wish=made, actor=actor)
    elif status != Wish.Status.DRAFT:
        raise ValueError(f"make {status} wishes through the claim services")
    return made


def party_member(*, role=Membership.Role.MEMBER, organisation=None, verified=True, **user_fields):
    """A person with a (verified) membership of a party organisation."""
    user = UserFactory(**user_fields)
    organisation = organisation or OrganisationFactory(kind=Organisation.Kind.PARTY)
    MembershipFactory(user=user, organisation=organisation, role=role, verified=verified)
    return user


def claimed(made, *, user=None, **kwargs):
    """`made` claimed through the service, by `user` or a new verified party member."""
    user = user or party_member()
    return services.wish_claim(wish_id=made.pk, user=user, **kwargs)


def reported(made, *, user=None, note="血糖仪已送到胡阿姨家，社工陪同。"):
    """`made` claimed and its fulfilment reported (no photos)."""
    claim = claimed(made, user=user)
    return services.claim_report(claim_id=claim.pk, user=claim.claimer, note=note)


# What a phone writes into a photo: the camera and where it was taken (near 武夷路).
EXIF_MAKE = "CanaryPhone"
EXIF_GPS = {1: "N", 2: (31.0, 12.0, 55.0), 3: "E", 4: (121.0, 25.0, 41.0)}


def jpeg_with_exif(name="photo.jpg", size=(2400, 1800)):
    """An upload of a JPEG carrying EXIF: the camera's make and GPS coordinates."""
    image = Image.new("RGB", size, (200, 120, 80))
    exif = Image.Exif()
    exif[0x010F] = EXIF_MAKE  # Make
    exif[0x8825] = EXIF_GPS  # GPSInfo
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")
