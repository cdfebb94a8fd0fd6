"""The WSGI entry point for gunicorn and ``flask run``."""
from pc_app import create_app

app = create_app()
