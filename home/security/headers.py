"""Response headers that Django has no setting for."""

from django.conf import settings


class PermissionsPolicyMiddleware:
    """Switches off browser features the site never uses (camera, geolocation, payment...),
    so a script that slipped in could not use them either. Django has a setting for every
    other security header but not this one."""

    def __init__(self, get_response):
        self.get_response = get_response
        features = getattr(settings, "PERMISSIONS_POLICY", {})
        self.header = ", ".join(
            f"{name}=({' '.join(allow)})" for name, allow in sorted(features.items())
        )

    def __call__(self, request):
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response
