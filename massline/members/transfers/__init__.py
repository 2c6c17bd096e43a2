"""Member transfers (组织关系转接): the workflow map, its services, selectors, pages and API
(decision 0006)."""
