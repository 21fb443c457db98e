# syntax=docker/dockerfile:1
#
# The frontdoor gateway (and CLI) as a static binary on an empty base image:
#
#   docker build -t frontdoor .
#   docker run --rm -p 8080:8080 -p 9090:9090 frontdoor serve --source oci \
#     --oci-ref REGISTRY/REPO:TAG --trust /keys/snapshot.pub --state /var/lib/frontdoor \
#     --tls-dir /tls --admin-listen :9090
#
# with /tls holding HOST.crt and HOST.key for each environment host (or
# --no-tls behind a load balancer that terminates TLS).
#
# The admin listener binds loopback unless told otherwise: publish it (as
# above, for probes and scraping) only on a network you trust.
#
# Kubernetes manifests: examples/kubernetes/.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS build
WORKDIR /src
# Modules first, so that source edits reuse the download layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# CGO_ENABLED=0: a static binary for a base image without libc.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOFLAGS=-buildvcs=false \
    go build -trimpath -ldflags="-s -w" -o /out/frontdoor ./cmd/frontdoor
# The state directory (last-known-good snapshot), owned by the runtime user
# so that it works without a mounted volume too.
RUN mkdir -p /out/state && chown 65532:65532 /out/state \
 && echo 'nonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin' > /out/passwd

# scratch: only the binary, CA certificates (upstreams and JWKS over TLS),
# time zone data and a passwd entry for the non-root user; no shell, no
# package manager, no libc.
FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /usr/share/zoneinfo /usr/share/zoneinfo
COPY --from=build /out/passwd /etc/passwd
COPY --from=build /out/frontdoor /usr/local/bin/frontdoor
COPY --from=build --chown=65532:65532 /out/state /var/lib/frontdoor
USER 65532:65532
# 8080: gateway (serve --listen); 9090: admin (--admin-listen: /healthz,
# /readyz, /status, /metrics, POST /-/sync).
EXPOSE 8080 9090
ENTRYPOINT ["/usr/local/bin/frontdoor"]
CMD ["serve", "--help"]
