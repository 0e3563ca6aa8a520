import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args, **env):
    full_env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY"}}
    full_env.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=120)


def test_production_profile_passes_the_deployment_checks():
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DJANGO_ENV="production", SECRET_KEY="k" * 20 + "-production-secret-9f8e7d6c5b4a3210zyxwv", ALLOWED_HOSTS="portal.example.cn",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", DJANGO_ENV="production", ALLOWED_HOSTS="portal.example.cn")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize("profile", ["development", "production"])
def test_debug_follows_the_profile(profile):
    env = {"DJANGO_ENV": profile, "SECRET_KEY": "s" * 60, "ALLOWED_HOSTS": "x"}
    result = _manage("shell", "-c", "from django.conf import settings; print(settings.DEBUG, settings.TIME_ZONE, settings.USE_TZ)", **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-3:] == [str(profile == "development"), "Asia/Shanghai", "True"]
