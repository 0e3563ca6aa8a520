from django.urls import path

from lunch import views

app_name = "lunch"

urlpatterns = [
    path("lunch/", views.today, name="today"),
    path("lunch/offers/<int:offer_id>/order/", views.order_form, name="order_form"),
    path("me/lunch/", views.mine, name="mine"),
    path("me/lunch/orders/<int:order_id>/", views.order_detail, name="order"),
    path("me/lunch/orders/<int:order_id>/cancel/", views.order_cancel, name="cancel"),
    path("me/lunch/orders/<int:order_id>/feedback/", views.feedback, name="feedback"),
    path("me/lunch/reminders/", views.reminders, name="reminders"),
    path("lunch/manifest/", views.manifest, name="manifest"),
    path("lunch/manifest/<int:offer_point_id>/delivered/", views.delivered, name="delivered"),
    path("lunch/handover/", views.handover, name="handover"),
]
