FROM python:3.11.10-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY models ./models
COPY workflows ./workflows
COPY activities ./activities
COPY starter ./starter
COPY worker.py ./
RUN pip install --no-cache-dir .
CMD ["orderly", "worker"]
