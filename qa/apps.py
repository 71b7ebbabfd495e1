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
