"""The server side of the REST integration: DRF views, authentication, errors and health."""
