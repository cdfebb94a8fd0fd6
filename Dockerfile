# The one image for API, worker and scheduler pods: python:3.11-slim, runs as a non-root user.
# Reproducible: every Python package comes at the version pinned in constraints.txt. A tag moves with
# every Debian and Python patch release, so a release build passes the base image by digest:
# --build-arg PYTHON_IMAGE=python:3.11-slim@sha256:... (docs/operations.md, Deploy step 1).
ARG PYTHON_IMAGE=python:3.11-slim
FROM ${PYTHON_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=3000

RUN groupadd --system --gid 10001 pc \
    && useradd --system --uid 10001 --gid pc --home-dir /app --shell /usr/sbin/nologin pc

WORKDIR /app
# The package and its dependencies, at the pinned versions. LICENSE before the build: setup.cfg's
# license_files puts it in the package's metadata only when it is there.
COPY constraints.txt setup.cfg pyproject.toml README.md LICENSE ./
COPY pc_app ./pc_app
COPY plugins ./plugins
# ops adds rq-dashboard, which an operator runs inside a worker pod (docs/operations.md).
# -c pins what is installed. The isolated environment that builds the package (pyproject.toml's
# setuptools and wheel) ignores -c and PIP_CONSTRAINT; --build-constraint pins it (pip >= 26.2: the
# pinned pip, installed first).
RUN pip install --no-compile -c constraints.txt --upgrade pip \
    && pip install --no-compile -c constraints.txt --build-constraint constraints.txt '.[ops]' \
    && rm -rf /root/.cache build
COPY wsgi.py gunicorn.conf.py ./

USER 10001:10001
EXPOSE 3000
CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
