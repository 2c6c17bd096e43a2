from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "massline.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from massline.core.audit import register_actions

        register_actions(
            {
                "accounts.user_create": _("created a user"),
                "accounts.token_create": _("issued an API token"),
                "accounts.password_change": _("changed their own password"),
            }
        )
