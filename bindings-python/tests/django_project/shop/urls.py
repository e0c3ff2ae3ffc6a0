"""One view: POST /welcome/ sends the welcome mail."""

from django.urls import path

from shop import views

urlpatterns = [path("welcome/", views.welcome)]
