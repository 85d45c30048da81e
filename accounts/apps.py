from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


def _roles_after_migrate(sender, using="default", **kwargs) -> None:
    # Django creates each app's permissions on its post_migrate; by the last app's signal all
    # exist, and the groups can be given theirs (idempotent, so every migrate keeps them
    # in step with the code).
    if sender is not list(apps.get_app_configs())[-1] or using != "default":
        return
    from .services import roles_ensure

    roles_ensure()


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People"

    def ready(self) -> None:
        post_migrate.connect(_roles_after_migrate, dispatch_uid="accounts-roles")
