from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction


def demo_modules():
    """Each project app's own `demo` module, in the order they declare (ORDER, lowest first).

    The site shell does not import the other apps: it asks every installed app for demo data
    of its own, so each app keeps its content beside its models.
    """
    modules = []
    for config in apps.get_app_configs():
        name = f"{config.name}.demo"
        if find_spec(config.name) and find_spec(name):
            modules.append(import_module(name))
    return sorted(modules, key=lambda module: getattr(module, "ORDER", 100))


class Command(BaseCommand):
    help = "Build the demo site: pages, settings, forms and case studies. Safe to run again."

    def handle(self, *args, **options):
        with transaction.atomic():
            for module in demo_modules():
                module.load(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo content is ready."))
