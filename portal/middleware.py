from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


class PortalLocaleMiddleware:
    """Chinese unless the person chose otherwise.

    Django's LocaleMiddleware would follow the browser's Accept-Language, and an
    English-language phone would then show an English portal to a resident who
    never asked for it. Here the language comes from the switcher's cookie, then
    the signed-in person's saved choice, then zh-hans.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.supported:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response
