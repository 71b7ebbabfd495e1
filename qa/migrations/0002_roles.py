"""Create the Editors and Experts groups with their model permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

QA_MODELS = ["category", "question", "expert", "column", "answer", "publication"]
LOG_MODELS = ["transition", "dispatch"]
EXPERT_PERMISSIONS = ["view_answer", "change_answer", "view_expert", "change_expert"]


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    qa_permissions = Permission.objects.filter(content_type__app_label="qa")

    editor_codenames = [
        f"{action}_{model}" for model in QA_MODELS for action in ("add", "change", "delete", "view")
    ] + [f"view_{model}" for model in LOG_MODELS]
    editors, _ = Group.objects.get_or_create(name="Editors")
    editors.permissions.set(qa_permissions.filter(codename__in=editor_codenames))

    experts, _ = Group.objects.get_or_create(name="Experts")
    experts.permissions.set(qa_permissions.filter(codename__in=EXPERT_PERMISSIONS))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Editors", "Experts"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("qa", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
