from django.urls import path

from leads import views

app_name = "leads"

urlpatterns = [
    path("callback/", views.submit, name="submit"),
    path("callback/sent/", views.sent, name="sent"),
]
