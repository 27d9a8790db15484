# The platform's one image: web (gunicorn), `flask worker`, `flask cron` and `flask db upgrade`
# all run from it (see compose.yaml and README "Deployment").
FROM python:3.11.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FLASK_APP=wsgi \
    UPLOAD_DIR=/data/uploads \
    LOG_FORMAT=json \
    WEB_CONCURRENCY=2

# Runtime only: the CJK font for PDFs and QR labels (core/fonts.py, LABEL_FONT_PATH).
# psycopg, Pillow, cryptography and ReportLab come as wheels with their libraries inside.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin platform \
    && mkdir -p /data/uploads /app/var \
    && chown -R platform:platform /data/uploads /app/var
USER platform

EXPOSE 8000
# Liveness only (no dependency is called); orchestrators route traffic on /healthz/ready.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz/live', timeout=4)"]

# gunicorn takes its worker count from WEB_CONCURRENCY; no control socket (it would need a home dir).
CMD ["gunicorn", "--no-control-socket", "--bind", "0.0.0.0:8000", "--timeout", "60", "wsgi:app"]
