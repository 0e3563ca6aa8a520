from django.urls import path

from wishes import views

app_name = "wishes"

urlpatterns = [
    path("wishes/", views.wall, name="wall"),
    path("wishes/fulfilled/", views.fulfilled, name="fulfilled"),
    path("wishes/honour-board/", views.honour_board, name="honour"),
    path("wishes/<int:wish_id>/", views.detail, name="detail"),
    path("wishes/<int:wish_id>/claim/", views.claim, name="claim"),
    path("me/wishes/", views.mine, name="mine"),
    path("me/wishes/claims/<int:claim_id>/report/", views.report, name="report"),
    path("me/wishes/claims/<int:claim_id>/visits/", views.visit, name="visit"),
    path("me/wishes/honour-board/", views.honour_board_choice, name="honour_choice"),
]
