"""Demo data owned by the leads app: the site's default call-back form."""

from leads.models import CallBackForm

ORDER = 10


def load(stdout):
    form, created = CallBackForm.objects.get_or_create(name="Default call back")
    stdout.write(f"{'Created' if created else 'Kept'} call-back form {form.name!r}")
    return form
