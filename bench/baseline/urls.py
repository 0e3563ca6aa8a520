from django.urls import path

from bench.baseline.views import page

urlpatterns = [path("", page)]
