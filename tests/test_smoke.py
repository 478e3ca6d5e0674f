import requests


def test_key_authenticates_over_http(live_server: str, admin_token: str) -> None:
    response = requests.get(f"{live_server}/admin/api/me", auth=(admin_token, ""), timeout=10)
    assert response.status_code == 200
    assert response.json()["email"] == "admin@example.com"
