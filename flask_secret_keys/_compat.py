"""Every use of another library's private API, in one place.

Each function names the versions it was checked against, and the test suite
has a test for each that fails when a library stops behaving as relied on
here. Nothing else in the package touches these internals.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, appcontext_pushed, g, session
from flask.typing import BeforeRequestCallable
from flask_wtf.csrf import CSRFError

#: Marks a ``CSRFProtect`` whose ``protect`` already lets key requests pass.
_CSRF_PATCHED = "_secret_keys_exempts_keys"
#: Marks a Flask-Migrate ``render_item`` that already calls the extension's.
_RENDERS_OURS = "_secret_keys_render_item"

#: Alembic's ``render_item`` hook: ``(type_, obj, autogen_context) -> str | False``.
RenderItem = Callable[[str, Any, Any], Any]


def set_login_user(user: Any) -> None:
    """Make ``user`` Flask-Login's ``current_user`` for this request only.

    Flask-Login 0.6.3 keeps the request's user in ``g._login_user`` and loads
    it from the session only while that is unset. ``login_user`` is not an
    option: it writes the user into the session, and a key must never become
    a session.
    """
    g._login_user = user


def user_from_session() -> bool:
    """Whether Flask-Login took the request's user from a cookie: the session or "remember me".

    Flask-Login 0.6.3 keeps the logged-in user's id in ``session["_user_id"]``,
    and writes it there too when it loads a user from the remember cookie; a
    user loaded by a ``request_loader`` (a token in a header) leaves it unset.
    """
    return session.get("_user_id") is not None


def csrf_checked() -> bool:
    """Whether Flask-WTF's ``CSRFProtect`` has already passed the current request.

    Flask-WTF 1.2 to 1.3 sets ``g.csrf_valid`` once ``protect`` accepts a
    request's token (its forms read it to skip a second check).
    """
    return bool(g.get("csrf_valid"))


def run_first(app: Flask, hook: BeforeRequestCallable) -> None:
    """Run ``hook`` before every other ``before_request`` function of ``app``.

    Flask 3.0 to 3.1 runs the app-wide functions in the order of the list
    ``app.before_request_funcs[None]``, before those of blueprints; the first
    place there puts the key's owner in front of ``CSRFProtect`` and of the
    host's own hooks, whenever they were registered.
    """
    app.before_request_funcs.setdefault(None, []).insert(0, hook)


def exempt_from_csrf(
    app: Flask,
    is_exempt: Callable[[], bool],
    replace_error: Callable[[Exception], Exception | None] | None = None,
) -> None:
    """Let Flask-WTF's ``CSRFProtect`` pass the requests for which ``is_exempt()`` is true.

    Flask-WTF 1.2 to 1.3 checks every request in a ``before_request`` function
    that calls ``csrf.protect``; its public ``exempt`` works per view, but key
    requests must pass while session requests to the same view are checked,
    so the instance's ``protect`` is wrapped. The wrapper also raises
    ``replace_error(error)`` in place of the ``CSRFError`` that ``protect``
    raises, when that gives an exception (an Admin API answers in JSON).
    Idempotent, and a no-op when the app has no ``CSRFProtect`` (yet).
    """
    csrf = app.extensions.get("csrf")
    if csrf is None or getattr(csrf, _CSRF_PATCHED, False):
        return
    protect = csrf.protect

    @wraps(protect)
    def protect_unless_exempt(*args: Any, **kwargs: Any) -> Any:
        if is_exempt():
            return None
        try:
            return protect(*args, **kwargs)
        except CSRFError as error:
            replacement = None if replace_error is None else replace_error(error)
            if replacement is None:
                raise
            raise replacement from error

    csrf.protect = protect_unless_exempt
    setattr(csrf, _CSRF_PATCHED, True)


def render_in_migrations(app: Flask, render_item: RenderItem) -> None:
    """Have Flask-Migrate's autogenerate call ``render_item`` for ``app``, before the host's own.

    Flask-Migrate 4.0 to 4.1 keeps the keyword arguments of ``Migrate(...)``
    in ``app.extensions["migrate"].configure_args`` and its stock ``env.py``
    passes them to Alembic's ``context.configure`` each time a ``flask db``
    command runs. Flask-Migrate may be set up after this extension, so when it
    is not there yet, this is tried again once, when the app's first app
    context is pushed (a ``flask db`` command pushes one after the app
    factory has returned). A no-op for an app without Flask-Migrate; the
    test suite runs ``flask db migrate`` and ``upgrade`` through it.
    """
    if _add_render_item(app, render_item):
        return

    def retry(sender: Flask, **extra: Any) -> None:
        appcontext_pushed.disconnect(retry, sender=sender)
        _add_render_item(sender, render_item)

    # Not weak: ``retry`` lives only here. It holds no reference to the app.
    appcontext_pushed.connect(retry, sender=app, weak=False)


def _add_render_item(app: Flask, render_item: RenderItem) -> bool:
    """Chain ``render_item`` in front of the host's; False when Flask-Migrate is not set up."""
    migrate = app.extensions.get("migrate")
    if migrate is None:
        return False
    configure_args: dict[str, Any] = migrate.configure_args
    host_render = configure_args.get("render_item")
    if getattr(host_render, _RENDERS_OURS, False):
        return True

    def render_ours_then_host(type_: str, obj: Any, autogen_context: Any) -> Any:
        rendered = render_item(type_, obj, autogen_context)
        if rendered is False and host_render is not None:
            return host_render(type_, obj, autogen_context)
        return rendered

    setattr(render_ours_then_host, _RENDERS_OURS, True)
    configure_args["render_item"] = render_ours_then_host
    return True


def flask_admin_render_context(view: Any) -> dict[str, Any]:
    """The names Flask-Admin's ``BaseView.render`` gives its templates, for ``view``.

    Checked against Flask-Admin 2.2: ``render`` is the only place that builds
    them, and the extension's pages are rendered by Flask, not by a view.
    """
    from flask_admin import babel
    from flask_admin import helpers as admin_helpers
    from markupsafe import Markup

    admin = view.admin
    nonce = admin.csp_nonce_generator
    return {
        "admin_view": view,
        "admin_base_template": admin.theme.base_template,
        "admin_csp_nonce_attribute": Markup('nonce="{}"').format(nonce()) if nonce else "",
        "_gettext": babel.gettext,
        "_ngettext": babel.ngettext,
        "h": admin_helpers,
        "get_url": view.get_url,
        "theme": admin.theme,
    }
