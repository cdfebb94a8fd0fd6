"""Offline checks of the deployment files: Kubernetes manifests, Dockerfile, gunicorn config."""
