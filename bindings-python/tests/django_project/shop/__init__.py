"""A minimal Django project that sends its mail with email365.django.EmailBackend."""
