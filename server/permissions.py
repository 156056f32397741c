"""Who may do what: one place that turns a role check into a refusal with a reason."""

from __future__ import annotations

from collections.abc import Collection

from server.auth import Identity
from world.roles import Role

__all__ = ["MODERATORS", "PermissionDenied", "require_role"]

MODERATORS = frozenset({Role.MODERATOR, Role.ADMIN})


class PermissionDenied(Exception):
    """The caller's role does not allow the action; ``reason`` says which roles would."""

    def __init__(self, reason: str) -> None:
        """Create the refusal with a client-safe ``reason``."""
        super().__init__(reason)
        self.reason = reason


def require_role(identity: Identity, allowed: Collection[Role], action: str) -> None:
    """Raise ``PermissionDenied`` unless ``identity`` holds one of the ``allowed`` roles."""
    if identity.role not in allowed:
        names = " or ".join(sorted(str(r) for r in allowed))
        raise PermissionDenied(f"{action} needs the {names} role; you are {identity.role}")
