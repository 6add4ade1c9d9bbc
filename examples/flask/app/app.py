# examples/flask: a Flask app served by gunicorn, both Debian's. GET / says
# who serves it; GET /health is for a probe.
import getpass
import os

import flask

app = flask.Flask(__name__)


@app.get("/")
def hello():
    return f"hello from flask {flask.__version__} as {getpass.getuser()} (uid {os.getuid()})\n", \
        200, {"Content-Type": "text/plain"}


@app.get("/health")
def health():
    return {"status": "ok"}
