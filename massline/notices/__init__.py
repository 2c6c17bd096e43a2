"""In-app notices (通知: the bell and the notices page) and the workbench (工作台, the home
page). Both are open to the domain apps through registries they fill from their apps.py:
notice kinds (`kinds.register_notice_kind`), to-dos, key figures and blocks
(`workbench.registry`). Decision 0014."""
