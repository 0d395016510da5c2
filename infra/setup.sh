#!/usr/bin/env bash
# Installs everything a fresh Debian machine with only the .NET SDK needs to build, run and test FraudShield:
# system packages (apt-get), then NuGet restore and a Release build. Safe to run again: it skips what is present.
# Usage: infra/setup.sh [--no-build]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
packages=(kcat redis-server python3-grpcio python3-protobuf protobuf-compiler)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "fraudshield setup: installing system packages: ${missing[*]}" >&2
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "fraudshield setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo_cmd=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -q >/dev/null
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v dotnet >/dev/null || { echo "fraudshield setup: the .NET SDK (dotnet) is not on PATH" >&2; exit 1; }

if [ "${1:-}" != "--no-build" ]; then
  echo "fraudshield setup: restoring and building (Release)" >&2
  dotnet build "$root/FraudShield.sln" -c Release -v q -nologo >&2
fi
