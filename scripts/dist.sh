#!/usr/bin/env bash
# `make dist`: the release artifacts of the one workspace version, into dist/:
#   email365-V-cp39-abi3-manylinux_2_17_x86_64.whl   Python wheel (maturin; linked by zig
#                                                     against glibc 2.17, checked by auditwheel)
#   email365-V.tar.gz                                 Python sdist (builds the wheel from source)
#   email365-V.tgz                                    npm tarball (`npm pack` of bindings-wasm/pkg)
#   email365-V-ARCH-linux-gnu.tar.gz                  C release archive, relocatable
# Each artifact is named with the version of Cargo.toml's [workspace.package], and the
# changelog must have that version's section. Needs what `make python`, `make wasm` and
# `make -C bindings-c libs` need (scripts/setup*.sh). `scripts/dist-test.sh` uses them.
# Steps can be chosen: `scripts/dist.sh wheel sdist npm c` (all by default).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
say() { printf '[dist] %s\n' "$*" >&2; }

version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"
grep -q "^## $version\b" CHANGELOG.md || { say "CHANGELOG.md has no '## $version' section"; exit 1; }
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(wheel sdist npm c)
mkdir -p dist
# maturin, ziglang (`python -m ziglang`, found by maturin --zig) and auditwheel.
export PATH="$root/.venv/bin:$PATH"

timed() {
  local name="$1" start
  shift
  start=$(date +%s)
  "$@"
  say "$name: $(( $(date +%s) - start ))s"
}

wheel() {
  rm -f dist/email365-*.whl
  # Zig links against glibc 2.17's symbols, so the wheel installs on manylinux2014
  # systems (CentOS 7 and newer) although this machine's glibc is newer. Its own target
  # folder under target/ (the triple is explicit with zig), beside the development build.
  maturin build --quiet --release --zig --compatibility manylinux2014 --target x86_64-unknown-linux-gnu \
    -m bindings-python/Cargo.toml -o dist
  local whl
  whl="$(ls dist/email365-"$version"-cp39-abi3-manylinux*_x86_64.whl)"
  auditwheel show "$whl" | tee dist/auditwheel.txt >&2
  tr -s ' \n' ' ' <dist/auditwheel.txt | grep -q 'consistent with the following platform tag: "manylinux_2_17_x86_64"' \
    || { say "auditwheel does not report manylinux_2_17 for $whl"; exit 1; }
}

sdist() {
  rm -f dist/email365-*.tar.gz.sdist-tmp dist/email365-"$version".tar.gz
  maturin sdist -m bindings-python/Cargo.toml -o dist >/dev/null
  test -f dist/email365-"$version".tar.gz
}

npm_pack() {
  bash scripts/build-wasm.sh
  rm -f dist/email365-*.tgz
  (cd dist && npm pack --silent ../bindings-wasm/pkg >/dev/null)
  test -f dist/email365-"$version".tgz
}

c_archive() {
  local name stage tmp
  name="email365-$version-$(uname -m)-linux-gnu"
  tmp="$(mktemp -d)"
  make -s -C bindings-c libs
  # Laid out for PREFIX=/usr/local (`tar -C /usr/local --strip-components=1 -xzf …`); the
  # pkg-config file names its folders from ${prefix}, so `pkg-config --define-prefix`
  # finds them wherever the archive is unpacked.
  make -s -C bindings-c install DESTDIR="$tmp/root" PREFIX=/usr/local \
    PC_LIBDIR='$${prefix}/lib' PC_INCDIR='$${prefix}/include'
  stage="$tmp/$name"
  mv "$tmp/root/usr/local" "$stage"
  install -d "$stage/share/doc/email365/examples"
  install -m 644 bindings-c/README.md LICENSE-MIT LICENSE-APACHE CHANGELOG.md "$stage/share/doc/email365/"
  install -m 644 bindings-c/examples/*.c "$stage/share/doc/email365/examples/"
  cat >"$stage/README" <<EOF
email365 $version: the C library of the Sinch Email 365 SDK ($(uname -m), glibc).

  include/email365.h            the header
  lib/libemail365.so.$version   the shared library (SONAME libemail365.so.${version%%.*}), with its links
  lib/libemail365.a             the static library
  lib/pkgconfig/email365.pc     pkg-config file, relative to where it is unpacked
  share/doc/email365/           README.md (API, ownership, ABI policy), licences, changelog, examples

Install under /usr/local:   tar -C /usr/local --strip-components=1 -xzf $name.tar.gz
Or use it where unpacked:   export PKG_CONFIG_PATH=\$PWD/$name/lib/pkgconfig
                            cc app.c \$(pkg-config --define-prefix --cflags --libs email365)
                            LD_LIBRARY_PATH=\$PWD/$name/lib ./a.out
Static:                     cc app.c \$(pkg-config --define-prefix --static --cflags email365) \\
                               $name/lib/libemail365.a \$(pkg-config --define-prefix --static --libs-only-other --libs-only-l email365 | sed s/-lemail365//)
EOF
  tar -C "$tmp" --owner=0 --group=0 --sort=name -czf "dist/$name.tar.gz" "$name"
  rm -rf "$tmp"
}

for step in "${steps[@]}"; do
  case "$step" in
    wheel) timed wheel wheel ;;
    sdist) timed sdist sdist ;;
    npm) timed npm npm_pack ;;
    c) timed c c_archive ;;
    *) say "unknown step $step (wheel, sdist, npm, c)"; exit 2 ;;
  esac
done
ls -l dist >&2
