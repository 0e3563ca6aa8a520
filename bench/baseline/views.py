"""The baseline page: a ~5 KB template with a loop and a few variables, rendered without touching any database."""

from django.shortcuts import render

STATIONS = [
    {"name": f"党群服务站 {n:02d}", "street": "湖南街道", "address": f"淮海中路 {1200 + n} 号", "hours": "09:00–21:00", "open": n % 3 != 0}
    for n in range(1, 15)
]


def page(request):
    return render(request, "baseline/page.html", {"title": "党群服务站", "stations": STATIONS})
