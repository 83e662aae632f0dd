def test_login_page_is_french(client):
    response = client.get("/connexion")
    assert response.status_code == 200
    assert "Connexion à votre espace" in response.get_data(as_text=True)


def test_staff_login_lands_on_admin(client, factory):
    user = factory.staff("admin")
    response = client.login(user.email)
    assert response.headers["Location"].endswith("/admin/")
