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

        from django.db.models.signals import post_save

        from .images import expert_saved
        from .models import Expert

        post_save.connect(expert_saved, sender=Expert, dispatch_uid="qa.headshot_renditions")

        from . import search_index

        search_index.connect()

        from django.apps import apps

        if apps.is_installed("anymail"):
            from .newsletter import webhooks

            webhooks.connect()
