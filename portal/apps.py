from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self):
        from portal import roles

        # Role groups and their permissions are code; keep the database in step after every migrate.
        post_migrate.connect(roles.sync_role_groups, dispatch_uid="portal.sync_role_groups")
