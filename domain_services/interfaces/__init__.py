"""Public interfaces of each domain: a typed service class, its DTOs and its REST client."""
