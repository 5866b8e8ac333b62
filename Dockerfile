# The conformance suite as an image, for pipelines that should not compile it on every run:
# the `conformance` binary (the features and catalogue are built into it), Chromium's headless
# shell and ChromeDriver from Debian's packages, run as an unprivileged user.
#
#   docker build -t conformance .
#   docker run --rm --network host -v "$PWD:/work" conformance run --target /work/target.toml --driver api,browser
#
# It needs an image registry for its two base images. Where none is reachable (this project's
# own machines), `ci/suite-image.sh` makes the API-driver image without any base image.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin conformance

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      chromium-headless-shell chromium-driver ca-certificates fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/conformance /usr/local/bin/conformance
USER 65534:65534
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/conformance"]
CMD ["--help"]
