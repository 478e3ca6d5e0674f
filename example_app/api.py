"""The host's Admin API: what a secret API key is for.

Its routes declare the resource they touch, so a key can be Restricted to
some of them: the orders blueprint as a whole, the catalog view by view.
``/me`` and ``/echo`` declare none, so only a Full access key reaches them.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask_login import current_user

from flask_secret_keys import admin_api_blueprint, admin_api_required, allows
from flask_secret_keys.outages import DATABASE_UNAVAILABLE, unavailable_json

bp = Blueprint("admin_api", __name__, url_prefix="/admin/api")

# A database outage is a 503 JSON for API clients, not a 500 HTML page.
for _error in DATABASE_UNAVAILABLE:
    bp.register_error_handler(_error, unavailable_json)

#: The store's demo data: a real app reads its own tables.
ORDERS = [{"id": 1001, "total": "42.00", "refunded": False}]
PRODUCTS = {"tea": {"sku": "tea", "price": "4.50"}}


@bp.get("/me")
@admin_api_required
def me() -> dict[str, Any]:
    """The admin user the request is authenticated as."""
    return {"id": current_user.id, "email": current_user.email}


@bp.post("/echo")
@admin_api_required
def echo() -> Any:
    """The JSON body the request sent, to show that writes work with a key."""
    return request.get_json(silent=True) or {}


# Every view of this blueprint touches orders: GET needs orders:read, POST orders:write.
orders = admin_api_blueprint(Blueprint("orders", __name__, url_prefix="/orders"), resource="orders")


@orders.get("")
def list_orders() -> Any:
    """The orders; their refund state only for callers who may also see refunds."""
    if allows("refunds", "read"):
        return ORDERS
    return [{key: value for key, value in order.items() if key != "refunded"} for order in ORDERS]


@orders.post("")
def create_order() -> Any:
    """A new order from the JSON body."""
    order = {
        "id": 1000 + len(ORDERS) + 1,
        "total": str((request.get_json(silent=True) or {}).get("total", "0")),
    }
    return order, 201


@orders.post("/search")
@admin_api_required(access="read")
def search_orders() -> Any:
    """A search sent as a POST body, which only reads: orders:read is enough."""
    wanted = (request.get_json(silent=True) or {}).get("id")
    return [order for order in ORDERS if wanted is None or order["id"] == wanted]


@orders.post("/refund")
@admin_api_required(resource="refunds")
def refund_order() -> Any:
    """Refund the order the JSON body names: refunds:write, whatever the blueprint says."""
    return {"id": (request.get_json(silent=True) or {}).get("id"), "refunded": True}


bp.register_blueprint(orders)


@bp.get("/catalog")
@admin_api_required(resource="catalog")
def catalog() -> Any:
    """The products (catalog:read)."""
    return list(PRODUCTS.values())


@bp.put("/catalog")
@admin_api_required(resource="catalog")
def set_price() -> Any:
    """Set the price of the product the JSON body names (catalog:write)."""
    body = request.get_json(silent=True) or {}
    return {"sku": str(body.get("sku", "")), "price": str(body.get("price", "0"))}
