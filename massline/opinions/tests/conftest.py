from .dispatch_fixtures import frozen  # noqa: F401
