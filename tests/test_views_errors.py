"""handler500: a database failure outside a view is a 503; anything else a plain 500 page."""

import pytest
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import OperationalError
from django.test import Client

pytestmark = pytest.mark.django_db


def fail_after_the_view(monkeypatch, error):
    def save_session(self, request, response):
        raise error("server closed the connection unexpectedly")

    monkeypatch.setattr(SessionMiddleware, "process_response", save_session)


def test_a_database_failure_in_middleware_answers_503(monkeypatch):
    fail_after_the_view(monkeypatch, OperationalError)
    response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert b"Back shortly" in response.content


def test_any_other_failure_answers_the_plain_500_page(monkeypatch):
    fail_after_the_view(monkeypatch, RuntimeError)
    response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    assert b"server closed the connection" not in response.content
