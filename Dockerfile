# Multi-stage build of a static apiserver in a minimal, non-root image.
#   docker build -t apiserver .
#   docker run -p 6443:6443 -v apiserver-data:/var/lib/apiserver apiserver
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=v0.1.0-dev
RUN VERSION=$VERSION hack/build.sh /out/apiserver

# distroless/static has no shell or package manager: nothing to exploit
# beyond the binary. Its "nonroot" user is uid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/apiserver /usr/local/bin/apiserver
USER 65532:65532
VOLUME /var/lib/apiserver
EXPOSE 6443
ENTRYPOINT ["/usr/local/bin/apiserver", "--data-dir=/var/lib/apiserver"]
