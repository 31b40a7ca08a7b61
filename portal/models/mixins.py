"""What Flask-Login asks of a user object; ids say which kind of user (see portal.auth)."""

from __future__ import annotations


class _UserMixin:
    """What Flask-Login asks of a user object."""

    id_prefix = ""

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id_prefix}:{self.id}"


class DebtorUser(_UserMixin):
    id_prefix = "d"

    @property
    def is_active(self) -> bool:
        return True


class StaffUserMixin(_UserMixin):
    id_prefix = "s"
