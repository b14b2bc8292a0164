# kneehab's web app for a clinic: gunicorn with uvicorn workers (ADR 0006) on PostgreSQL.
# docs/deploy.md shows it behind a TLS proxy; compose.yaml runs it with PostgreSQL and the migration step.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
# The app alone: the camera coach's [vision] extra is not needed to serve (make run does the same).
RUN pip install . && useradd --system --home-dir /var/lib/kneehab --create-home kneehab
USER kneehab

# Listen on every interface inside the container; TLS is the proxy's (KNEEHAB_PUBLIC_URL=https://…).
ENV KNEEHAB_HOST=0.0.0.0 KNEEHAB_PORT=8000 KNEEHAB_WORKERS=2 KNEEHAB_DATA_DIR=/var/lib/kneehab
EXPOSE 8000
# /healthz: the process answers (no database); the orchestrator's readiness check is /readyz.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"
# Never migrates: run `kneehab db upgrade` first (compose.yaml's `migrate` service does).
CMD ["kneehab", "serve"]
