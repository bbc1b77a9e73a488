from django.apps import AppConfig


class CascadeConfig(AppConfig):
    name = "cascade"
    verbose_name = "Cascade"
    default_auto_field = "django.db.models.BigAutoField"
