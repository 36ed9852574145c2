"""Users, roles, sessions, two-factor codes, API tokens and CSRF protection.

Import from the modules themselves (this package imports nothing, so that
``garrison.settings`` can use the roles without pulling in the web layer):

- ``garrison.auth.dependencies``: ``resolve_principal``, ``CurrentPrincipal``,
  ``require``, ``PermissionRequirement``, ``PagePrincipal``, ``require_page``.
- ``garrison.auth.users``, ``account``, ``login``, ``tokens``: service functions.
- ``garrison.auth.views``: ``api_router`` and ``page_router``.
"""
