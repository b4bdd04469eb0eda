#!/usr/bin/env bash
# Makes a base image for infra/k8s/Dockerfile from Debian packages, for a machine that reaches Debian's archive and
# the npm registry but no image registry: Debian 13 (trixie) with its nodejs (20.19), and npm laid out as the official
# node images have it (/usr/local/lib/node_modules/npm, from the npm registry).
#   sudo infra/container/build-base.sh            # localhost/bonker-base:trixie, kept if it exists already
#   sudo infra/container/build-base.sh --force    # made again
# Then: podman build --build-arg BASE_IMAGE=localhost/bonker-base:trixie -f infra/k8s/Dockerfile -t IMAGE .
# The CAs this machine added to its own trust (/usr/local/share/ca-certificates, e.g. a TLS-inspecting proxy's) are
# added to the image's too, so that `npm ci` in the build stage reaches the registry as this machine does; Debian's
# node trusts the system store. Such an image is for this machine only: never push it.
# Needs root and `apt-get install podman runc mmdebstrap uidmap`. Takes 1.5-2.5 minutes here. Debian's own npm package
# would bring 300 more packages: twice the time and 140 MB more image (337 MB instead of 195 MB).
set -euo pipefail

image=${BONKER_BASE_IMAGE:-localhost/bonker-base:trixie}
# The npm that Node 20.19 ships with, as in node:20-bookworm-slim.
npm_version=${BONKER_BASE_NPM:-10.8.2}
here=$(cd "$(dirname "$0")" && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$here/containers.conf}

if [[ ${1:-} != --force ]] && podman image exists "$image"; then
  echo "$image exists (--force makes it again)"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
started=$SECONDS
(cd "$work" && npm pack --silent "npm@$npm_version" >/dev/null)
# --variant=apt: Essential packages and apt, nothing else. Manual pages, translations and documentation (except the
# copyright files) are left out: nothing in the image reads them. force-unsafe-io: no fsync per file, for a tree
# that is thrown away if the build fails.
mmdebstrap --variant=apt --include=ca-certificates,nodejs \
  --dpkgopt=force-unsafe-io \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --customize-hook="mkdir -p \"\$1/usr/local/lib/node_modules/npm\" \"\$1/usr/local/bin\"" \
  --customize-hook="tar -xzf '$work/npm-$npm_version.tgz' --strip-components=1 -C \"\$1/usr/local/lib/node_modules/npm\"" \
  --customize-hook="ln -s ../lib/node_modules/npm/bin/npm-cli.js \"\$1/usr/local/bin/npm\"" \
  --customize-hook="ln -s ../lib/node_modules/npm/bin/npx-cli.js \"\$1/usr/local/bin/npx\"" \
  --customize-hook='for ca in /usr/local/share/ca-certificates/*.crt; do [ -f "$ca" ] && cp "$ca" "$1/usr/local/share/ca-certificates/"; done; chroot "$1" update-ca-certificates >/dev/null' \
  trixie "$work/base.tar"
podman import --change 'CMD ["node"]' "$work/base.tar" "$image" >/dev/null
versions=$(podman run --rm --network none "$image" sh -c 'echo "node $(node --version), npm $(npm --version)"')
echo "$image made in $((SECONDS - started)) s: $versions"
