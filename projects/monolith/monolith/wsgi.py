"""WSGI entry point of the monolith."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "monolith.settings")
application = get_wsgi_application()
