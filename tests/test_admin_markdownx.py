"""markdownx's preview and upload endpoints: staff only, any input answered without a 5xx."""

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from .security import executable_parts


@pytest.mark.django_db
class TestMarkdownxEndpoints:
    def test_preview_refuses_anonymous(self, client):
        response = client.post("/markdownx/markdownify/", {"content": "**x**"})
        assert response.status_code == 403

    def test_upload_refuses_anonymous(self, client):
        response = client.post("/markdownx/upload/", {"image": io.BytesIO(b"x")})
        assert response.status_code == 403

    def test_preview_refuses_a_signed_in_reader_who_is_not_staff(self, client, django_user_model):
        client.force_login(django_user_model.objects.create_user("reader", password="pw"))
        assert client.post("/markdownx/markdownify/", {"content": "x"}).status_code == 403

    def test_preview_renders_for_staff_with_the_publishing_renderer(self, expert_a_client):
        response = expert_a_client.post(
            "/markdownx/markdownify/", {"content": "**bold** <script>alert(1)</script>"}
        )
        assert response.status_code == 200
        assert b"<strong>bold</strong>" in response.content
        assert b"<script" not in response.content

    def test_preview_without_content_is_a_clear_400(self, expert_a_client):
        response = expert_a_client.post("/markdownx/markdownify/", {})
        assert response.status_code == 400

    def test_preview_refuses_get(self, expert_a_client):
        assert expert_a_client.get("/markdownx/markdownify/").status_code == 405

    def test_upload_refuses_gif(self, expert_a_client):
        buffer = io.BytesIO()
        Image.new("RGB", (10, 10)).save(buffer, "GIF")
        buffer.seek(0)
        buffer.name = "x.gif"
        response = expert_a_client.post(
            "/markdownx/upload/", {"image": buffer}, headers={"x-requested-with": "XMLHttpRequest"}
        )
        assert response.status_code == 400

    def test_upload_takes_png_from_staff(self, expert_a_client):
        buffer = io.BytesIO()
        Image.new("RGB", (10, 10)).save(buffer, "PNG")
        buffer.seek(0)
        buffer.name = "x.png"
        response = expert_a_client.post(
            "/markdownx/upload/", {"image": buffer}, headers={"x-requested-with": "XMLHttpRequest"}
        )
        assert response.status_code == 200
        assert "image_code" in response.json()


@pytest.mark.django_db
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=st.text(max_size=2000))
def test_fuzz_the_preview_never_answers_5xx(expert_a_client, content):
    """Any Unicode, NUL bytes included, any length: the preview answers 200, never a 5xx."""
    response = expert_a_client.post("/markdownx/markdownify/", {"content": content})
    assert response.status_code == 200
    assert executable_parts(response.content) == []
