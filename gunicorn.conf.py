"""
gunicorn's settings for the web process: `gunicorn -c gunicorn.conf.py panel.wsgi`.

Everything a deployment tunes comes from the environment, so one file serves every machine.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", str(min(multiprocessing.cpu_count() * 2 + 1, 8))))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# gthread: the connections one worker holds at once (gunicorn's default, 1000, lets the first
# worker to accept take every keep-alive connection of a busy client while the others idle).
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", "1000"))

# Loading Django once in the arbiter shares its memory between the workers and makes a broken
# deploy fail at start, not on the first request.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") != "0"

# Recycling workers bounds any slow leak; the jitter keeps them from restarting all at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "1000"))

# Logs go to stdout, with the request's duration in microseconds.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(D)sus "%(a)s"'
# Private links' tokens (a reader's status page, a subscriber's links, password links) are
# logged as <token> (panel/access_log.py).
logger_class = "panel.access_log.AccessLogger"

# The TLS proxy in front sets X-Forwarded-Proto; trust it only from the addresses listed.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
