from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LunchConfig(AppConfig):
    name = "lunch"
    verbose_name = _("White-collar lunch")
