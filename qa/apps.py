from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QaConfig(AppConfig):
    name = "qa"
    verbose_name = _("Expert panel")

    def ready(self):
        from django.conf import settings
        from PIL import Image

        # Refuse decompression bombs long before they reach memory.
        Image.MAX_IMAGE_PIXELS = settings.PILLOW_MAX_IMAGE_PIXELS

        from django.db import connections
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_save

        from . import pagecache

        # Every write to what public pages show moves the page cache's generation on.
        connection_created.connect(pagecache.install, dispatch_uid="qa.pagecache")
        for connection in connections.all(initialized_only=True):
            pagecache.install(sender=None, connection=connection)

        from .images import expert_saved
        from .models import Expert

        post_save.connect(expert_saved, sender=Expert, dispatch_uid="qa.headshot_renditions")

        from . import search_index

        search_index.connect()

        from django.apps import apps

        if apps.is_installed("anymail"):
            from .newsletter import webhooks

            webhooks.connect()
