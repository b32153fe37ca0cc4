# The Orderly app image: `orderly worker` (default) or `orderly web`; see docker-compose.yml.
FROM python:3.11.10-slim
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY models ./models
COPY workflows ./workflows
COPY activities ./activities
COPY channels ./channels
COPY store ./store
COPY plumbing ./plumbing
COPY starter ./starter
COPY worker.py ./
RUN pip install --no-cache-dir "babel>=2.14,<3" && pybabel compile -d models/locale -D messages \
    && pip install --no-cache-dir . \
    && useradd --system --uid 10001 --home-dir /data orderly \
    && mkdir -p /data && chown orderly /data
USER orderly
WORKDIR /data
ENV ORDERLY_VAR_DIR=/data
EXPOSE 8000 9464
CMD ["orderly", "worker"]
