# Airflow image with this project's pinned requirements and its provider (the zenodo conn type).
# The project is installed (editable) from the same paths docker-compose.yaml mounts over
# (/opt/airflow/plugins, /opt/airflow/include), so the mounted code and mappings are the ones
# that run, and the image alone still works without the mounts.
FROM apache/airflow:3.3.2-python3.11
COPY --chown=airflow:0 requirements.txt pyproject.toml README.md /opt/airflow/
COPY --chown=airflow:0 plugins /opt/airflow/plugins
COPY --chown=airflow:0 include /opt/airflow/include
COPY --chown=airflow:0 zenodo_sandbox /opt/airflow/zenodo_sandbox
RUN pip install --no-cache-dir "apache-airflow==3.3.2" -r /opt/airflow/requirements.txt \
 && pip install --no-cache-dir --no-deps -e /opt/airflow
