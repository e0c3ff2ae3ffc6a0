"""Settings of the test project: the mail settings a deployment would have, with the
server's details taken from the environment (the sandbox's, in the tests)."""

import os

SECRET_KEY = "test-only"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
INSTALLED_APPS = ["shop"]
ROOT_URLCONF = "shop.urls"
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True

EMAIL_BACKEND = "email365.django.EmailBackend"
EMAIL_HOST = os.environ["SHOP_EMAIL_HOST"]
EMAIL_PORT = int(os.environ["SHOP_EMAIL_PORT"])
EMAIL_HOST_USER = os.environ["SHOP_EMAIL_USER"]
EMAIL_HOST_PASSWORD = os.environ["SHOP_EMAIL_PASSWORD"]
EMAIL_USE_TLS = True
EMAIL_TIMEOUT = 10
EMAIL365_CA_FILE = os.environ["SHOP_EMAIL_CA_FILE"]
EMAIL365_SENDER_DOMAINS = ["example.com"]
DEFAULT_FROM_EMAIL = "Shop <shop@example.com>"
