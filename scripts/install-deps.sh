#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs whatever is missing of libresv's build dependencies on Debian 12.
# Idempotent and quiet when nothing is missing, so `make test` can call it every time.
# Extra packages a single target needs (spin for `make model`) are passed as arguments.
set -euo pipefail

packages=(cmake make gcc pkgconf liburcu-dev libjemalloc-dev libcmocka-dev libdrm-dev "$@")
# python3 runs the kernel-doc completeness test; any python3 on PATH will do.
command -v python3 >/dev/null || packages+=(python3)
# clang's sanitizer runtime is only needed by the sanitizer builds in .ci/run.
if [ "${RESV_WITH_CLANG:-0}" = 1 ]; then
	packages+=(clang libclang-rt-dev)
fi

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install ${missing[*]}" >&2; exit 1; }
	sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists; an old list may miss current versions.
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
