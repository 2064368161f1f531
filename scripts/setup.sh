#!/usr/bin/env bash
# Installs the Debian packages Sluice builds and tests with, if any is missing.
set -euo pipefail
# libcurl, librdkafka and libmongoc back the network plugin families (SluiceHTTP, Kafka, MongoDB),
# libssl-dev (OpenSSL's libcrypto) the Google plugins' .p12 keys;
# kcat and openssl are test clients (Kafka read-back, self-signed certificates for TLS tests).
packages=(libpcre2-dev zlib1g-dev libmimalloc-dev python3 python3-venv time
          libcurl4-openssl-dev libssl-dev librdkafka-dev libmongoc-dev kcat openssl curl)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
