"""The outside application's own files are not tests of this repository: they run in their
own project, in their own virtualenv (test_outside_app.py builds both)."""

collect_ignore = ["project"]
