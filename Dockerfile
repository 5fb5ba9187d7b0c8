# Production image of wazo-manage-db: the Debian package on Debian 12, with Debian's Python
# libraries, as on the platform. The image build never touches a database (the postinst is
# told to skip it); the container brings the databases to head when it runs.
#
#   docker build -t wazoplatform/wazo-manage-db .
#   docker run --rm --network <net> wazoplatform/wazo-manage-db            # init + upgrade
#   docker run --rm --network <net> wazoplatform/wazo-manage-db status

# CI builds from a base image of its own (scripts/check_image.sh: debootstrap + podman import).
ARG BASE_IMAGE=debian:bookworm-slim

FROM ${BASE_IMAGE} AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        build-essential debhelper dh-python python3-all python3-setuptools \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build/wazo-manage-db
# Only what the package is built from: no virtualenv, no .git, no caches.
COPY setup.py setup.cfg pyproject.toml README.md LICENSE alembic.ini ./
COPY manage_db manage_db
COPY alembic alembic
COPY etc etc
COPY debian debian
RUN dpkg-buildpackage -us -uc -b

FROM ${BASE_IMAGE}
COPY --from=build /build/wazo-manage-db_*_all.deb /tmp/
RUN apt-get update \
    && WAZO_MANAGE_DB_SKIP_DATABASE_SETUP=1 \
        apt-get install -y --no-install-recommends /tmp/wazo-manage-db_*_all.deb \
    && rm -rf /var/lib/apt/lists/* /tmp/*.deb
COPY contribs/docker/prod/conf.d/ /etc/wazo-manage-db/conf.d/
COPY contribs/docker/prod/entrypoint.sh /usr/local/bin/wazo-manage-db-entrypoint
ENTRYPOINT ["/usr/local/bin/wazo-manage-db-entrypoint"]
CMD ["setup"]
