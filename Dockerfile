# Build on the Swift image, run on Debian slim with only the runtime libraries.
FROM swift:6.1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpcre2-dev zlib1g-dev libmimalloc-dev \
    librdkafka-dev libmongoc-dev libssl-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources Sources
COPY Plugins Plugins
RUN swift build -c release --static-swift-stdlib \
    && cp "$(swift build -c release --show-bin-path)/sluice" /sluice

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpcre2-8-0 zlib1g libmimalloc2.0 ca-certificates \
    librdkafka1 libmongoc-1.0-0 libbson-1.0-0 libssl3 \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /var/lib/sluice sluice
COPY --from=build /sluice /usr/local/bin/sluice
COPY pipelines /etc/sluice/pipelines
USER sluice
WORKDIR /var/lib/sluice
ENTRYPOINT ["sluice"]
CMD ["-f", "/etc/sluice/pipelines/quickstart.conf"]
