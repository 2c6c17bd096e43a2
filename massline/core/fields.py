from django.db import models


class BytewiseCharField(models.CharField):
    """Text compared and sorted by its bytes: on PostgreSQL the "C" collation (SQLite
    compares bytes anyway). For codes, hashes and other machine text, where the locale's
    order means nothing: sorting by bytes is several times faster (an index over 1.3
    million hashes builds in half the time), and LIKE 'P%' uses a plain b-tree index."""

    def db_parameters(self, connection):  # type: ignore[no-untyped-def]
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params


class PathField(BytewiseCharField):
    """A materialized path (see orgs.paths). Compared by bytes, so that prefix ranges
    (`path >= P AND path < P || '~'`) and LIKE 'P%' both use the plain b-tree index and mean
    the same thing whatever the database's locale."""
