"""Factories for the parts of a station (tests/factories.py has Station itself)."""

import io

import factory
from PIL import Image

from stations.models import FunctionArea, OpeningHours, ServiceItem, StationPhoto, Team, ThemeTag
from tests.factories import StationFactory


class ThemeTagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ThemeTag
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"主题{n}")


class FunctionAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FunctionArea

    station = factory.SubFactory(StationFactory)
    kind = FunctionArea.Kind.READING


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    station = factory.SubFactory(StationFactory)
    name = factory.Sequence(lambda n: f"社团{n}")


class ServiceItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceItem

    station = factory.SubFactory(StationFactory)
    name = factory.Sequence(lambda n: f"服务{n}")


class OpeningHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OpeningHours

    station = factory.SubFactory(StationFactory)
    weekday = 0
    opens = "09:00"
    closes = "17:00"


def _small_jpeg():
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(out, format="JPEG")
    return out.getvalue()


class StationPhotoFactory(factory.django.DjangoModelFactory):
    """A stored photo row, bypassing the upload service (for tests that only need one to exist)."""

    class Meta:
        model = StationPhoto

    station = factory.SubFactory(StationFactory)
    image = factory.django.FileField(filename="photo.jpg", data=factory.LazyFunction(_small_jpeg))
    thumbnail = factory.django.FileField(filename="thumb.jpg", data=factory.LazyFunction(_small_jpeg))
