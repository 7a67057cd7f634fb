"""Test support for projects built on domain_services: real-component fixtures, contract bases.

Enable the fixtures with `-p domain_services.testing.plugin` (or `pytest_plugins` in a root
conftest).
"""
