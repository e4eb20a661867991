# Used by docker-compose.yml; not by the tests.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin agora

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/agora /usr/local/bin/agora
EXPOSE 8080
CMD ["agora", "serve"]
