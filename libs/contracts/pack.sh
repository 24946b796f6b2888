#!/usr/bin/env bash
# Packs @tandem/contracts as a standalone npm package: compiles libs/contracts (and the
# pure libs/domain modules it uses, which ship inside the package's dist/ rather than as a
# dependency) into a staging copy, then `npm pack`s it. Nothing is written into the repo.
#   bash libs/contracts/pack.sh [destination]   → prints the tarball's path
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dest="$(mkdir -p "${1:-.}" && cd "${1:-.}" && pwd)"
stage="$(mktemp -d "${TMPDIR:-/tmp}/tandem-contracts-pack.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
bin="$root/node_modules/.bin"
cp "$here/package.json" "$here/README.md" "$stage/"
mkdir -p "$stage/schemas" && cp "$here"/schemas/*.json "$stage/schemas/"
"$bin/tsc" -p "$here/tsconfig.package.json" --outDir "$stage/dist" >&2
"$bin/tsc-alias" -p "$here/tsconfig.package.json" --outDir "$stage/dist" >&2
tarball="$(cd "$stage" && npm pack --silent --pack-destination "$dest")"
echo "$dest/$tarball"
