"""Settings → Secret API Keys inside a Flask-Admin 2 panel.

::

    from flask_secret_keys.contrib.flask_admin import SecretKeysView

    app.config["SECRET_KEYS_BASE_TEMPLATE"] = "secret_keys/flask_admin.html"
    app.config["SECRET_KEYS_CONTENT_BLOCK"] = "body"
    admin = Admin(app, name="Store")
    admin.add_view(SecretKeysView(category="Settings"))

The pages stay where the extension mounts them (``SECRET_KEYS_URL_PREFIX``,
e.g. ``/admin/settings/secret-api-keys``) and keep their own rules: login,
the admin predicate, own keys only, CSRF. This view adds their menu entry and
gives their templates what Flask-Admin's layout needs to render around them.
Needs the ``admin`` extra (``pip install flask-secret-keys[admin]``).
"""

from __future__ import annotations

from typing import Any, cast

from flask import redirect, url_for
from flask_admin import BaseView, expose
from flask_login import current_user
from werkzeug.wrappers import Response

from .. import _compat
from ..state import current_state


class SecretKeysView(BaseView):  # type: ignore[misc]
    """A Flask-Admin menu entry whose pages are the extension's ``secret_keys`` blueprint.

    :param name: the menu label.
    :param category: the menu category to list it under, such as ``"Settings"``.
    :param endpoint: the view's own endpoint name; change it only if it collides.
    :param kwargs: other :class:`flask_admin.BaseView` arguments (menu icon …).
    """

    def __init__(
        self,
        name: str = "Secret API Keys",
        category: str | None = None,
        endpoint: str = "secret_keys_admin",
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, category=category, endpoint=endpoint, **kwargs)

    @expose("/")  # type: ignore[untyped-decorator]
    def index(self) -> Response:
        """The view's own URL leads to the pages."""
        return redirect(url_for("secret_keys.index"))

    def get_url(self, endpoint: str, **kwargs: Any) -> str:
        """Point the menu entry straight at the pages, without a redirect."""
        if endpoint == f"{self.endpoint}.index":
            endpoint = "secret_keys.index"
        return cast(str, super().get_url(endpoint, **kwargs))

    def is_accessible(self) -> bool:
        """Listed in the menu for exactly the users the pages admit."""
        if not current_user.is_authenticated:
            return False
        return current_state().users.is_admin(current_user._get_current_object())

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Response:
        """Leave the answer to the pages: a login redirect or a 403, as for any visit."""
        return redirect(url_for("secret_keys.index"))

    def create_blueprint(self, admin: Any) -> Any:
        """Register the view, and give the ``secret_keys`` pages of this app its layout context."""
        blueprint = super().create_blueprint(admin)
        admin.app.template_context_processors["secret_keys"].append(self.layout_context)
        return blueprint

    def layout_context(self) -> dict[str, Any]:
        """What Flask-Admin's templates expect from a view's ``render``.

        With this view as ``admin_view``, the menu marks it as the current entry.
        """
        return _compat.flask_admin_render_context(self)
