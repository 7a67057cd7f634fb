#!/usr/bin/env python
"""The three domains in one process: a modular monolith, each domain on its own database."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "monolith.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
