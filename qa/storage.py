"""
Uploads that fail cleanly: a full disk or an unreachable bucket is an error with a reason, a
503 or 507 for the user (``StorageErrorMiddleware``), and never a half-written file.
"""

import errno
import logging
import os

from django.core.files.storage import FileSystemStorage

logger = logging.getLogger(__name__)

FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


class StorageError(Exception):
    """The file could not be stored; nothing of it was kept."""

    status = 503
    message = (
        "Your file could not be stored because the file storage is not available right now. "
        "Nothing was saved; please try again in a few minutes."
    )


class StorageFull(StorageError):
    status = 507
    message = (
        "Your file could not be stored because the server's disk is full. Nothing was saved. "
        "Please try again later, or tell the site's editors if it goes on."
    )


class MediaStorage(FileSystemStorage):
    """The local media folder; a failed write removes what it wrote and raises StorageError."""

    def _save(self, name, content):
        try:
            return super()._save(name, content)
        except OSError as error:
            full_path = self.path(name)
            # FileSystemStorage created the file exclusively (O_EXCL) before writing: whatever
            # is there under this name is this write's part, never another upload.
            try:
                if os.path.exists(full_path):
                    os.remove(full_path)
            except OSError:
                logger.exception("Could not remove the partial upload %s", full_path)
            kind = StorageFull if error.errno in FULL else StorageError
            logger.error("Storing %s failed: %s", name, error)
            raise kind(str(error)) from error
