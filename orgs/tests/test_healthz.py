from __future__ import annotations

import pytest

from config.celery import app


def test_it_reports_database_and_broker_ok(db, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


@pytest.fixture
def broken_broker():
    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    yield
    app.conf.broker_url = original


def test_it_answers_503_when_the_broker_is_down(db, client, broken_broker):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["database"] == "ok"
    assert body["broker"].startswith("error")
