# Airflow image with this project's pinned requirements and its provider (the zenodo conn type).
FROM apache/airflow:3.3.2-python3.11
COPY --chown=airflow:0 requirements.txt pyproject.toml README.md /opt/project/
COPY --chown=airflow:0 plugins /opt/project/plugins
COPY --chown=airflow:0 zenodo_sandbox /opt/project/zenodo_sandbox
RUN pip install --no-cache-dir "apache-airflow==3.3.2" -r /opt/project/requirements.txt \
 && pip install --no-cache-dir --no-deps -e /opt/project
