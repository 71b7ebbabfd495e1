"""gunicorn's access log line for a private link holds ``<token>``, not the token."""

import datetime
import secrets

from gunicorn.config import Config

from panel.access_log import AccessLogger

TOKEN = secrets.token_urlsafe(24)


class Response:
    status = "200 OK"
    headers = [("Content-Type", "text/html")]
    sent = 1234


def test_the_logged_line_holds_no_token():
    logger = AccessLogger(Config())
    path = f"/newsletter/unsubscribe/{TOKEN}/"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": path,
        "PATH_INFO": path,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": f"https://panel.example/questions/{TOKEN}/",
        "HTTP_USER_AGENT": "test",
    }
    atoms = logger.atoms(
        Response(), [("Referer", environ["HTTP_REFERER"])], environ, datetime.timedelta(0)
    )
    line = logger.cfg.access_log_format % atoms
    assert "GET /newsletter/unsubscribe/<token>/ HTTP/1.1" in line
    assert all(TOKEN not in str(value) for value in atoms.values())
