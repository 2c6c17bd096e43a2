from django.db import models


class PathField(models.CharField):
    """A materialized path (see orgs.paths). On PostgreSQL it uses the "C" collation, so that
    prefix ranges (`path >= P AND path < P || '~'`) and LIKE 'P%' both use the plain b-tree
    index and mean the same thing whatever the database's locale."""

    def db_parameters(self, connection):  # type: ignore[no-untyped-def]
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params
