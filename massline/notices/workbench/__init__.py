"""The workbench (工作台): the page a user lands on after signing in. Its to-dos, key figures
and blocks come from registries (`registry`) the apps fill from their apps.py."""
