"""Accounts, organisations and roles: who is who, and what each may do (``permissions.MATRIX``)."""
