# wxpaytest, the fake WeChat Pay v2 API, as a container, the way
# stripe-mock is one:
#
#   docker build -t wxpaytest .
#   docker run --rm -p 8443:8443 -p 127.0.0.1:8444:8444 wxpaytest
#
# 8443 is the API (HTTPS, WeChat's paths), 8444 the control API (plain
# HTTP: publish it on loopback only). The CA and merchant certificates are
# served by the control API (curl -o ca.pem localhost:8444/files/ca.pem)
# and written to /out; every flag has a WXPAYTEST_* variable
# (docker run -e WXPAYTEST_MERCHANTS=appid:mch_id:key …). With -v
# wxstate:/state -e WXPAYTEST_STATE=/state/state.json, orders and the CA
# survive a new container.
FROM golang:1.24 AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOWORK=off
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -trimpath -ldflags="-s -w" -o /wxpaytest ./cmd/wxpaytest && mkdir -p /out /state

# distroless/static: the binary, the system roots (for notifies to https
# merchants) and nothing else; no shell.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /wxpaytest /wxpaytest
COPY --from=build --chown=nonroot:nonroot /out /out
COPY --from=build --chown=nonroot:nonroot /state /state
ENV WXPAYTEST_ADDR=:8443 WXPAYTEST_CONTROL=:8444 WXPAYTEST_OUT=/out
EXPOSE 8443 8444
ENTRYPOINT ["/wxpaytest"]
