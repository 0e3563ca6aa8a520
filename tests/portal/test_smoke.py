import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_home_page_is_chinese_by_default(client):
    response = client.get(reverse("portal:home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in response.content.decode()
