import getpass
import sys

from django.core.management.base import CommandError


def password_from(options):
    """--password, or a prompt when a person is at the terminal."""
    if options.get("password"):
        return options["password"]
    if not sys.stdin.isatty():
        raise CommandError("Give --password (no terminal to prompt on).")
    first = getpass.getpass("Password: ")
    if not first or first != getpass.getpass("Password (again): "):
        raise CommandError("The passwords were empty or did not match.")
    return first
