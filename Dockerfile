# autoscaler as a sidecar: one controller next to each workload.
#   docker build -t autoscaler .
#   docker run -v $PWD/config:/config:ro -e ALIBABA_CLOUD_ACCESS_KEY_ID -e ALIBABA_CLOUD_ACCESS_KEY_SECRET \
#     -p 9847:9847 autoscaler run --config /config/autoscaler.yaml --listen 0.0.0.0:9847
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY autoscaler ./autoscaler
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/autoscaler --create-home autoscaler
COPY --from=build /install /usr/local
COPY config /etc/autoscaler/config
COPY policies /etc/autoscaler/policies
USER 10001
WORKDIR /var/lib/autoscaler
EXPOSE 9847
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:9847/healthz', timeout=2).status == 200 else 1)"
ENTRYPOINT ["autoscaler"]
CMD ["run", "--config", "/etc/autoscaler/config/autoscaler.yaml", "--listen", "0.0.0.0:9847"]
