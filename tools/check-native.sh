#!/usr/bin/env bash
# Fails the natives build unless LIB is a shared ELF for MACHINE that loads on glibc 2.17+ without libstdc++.
# NAR prints "Nothing to compile" and succeeds when its AOL is wrong: this is what notices.
# usage: check-native.sh LIB MACHINE   (MACHINE as readelf -h prints it: "Advanced Micro Devices X86-64", "AArch64")
set -euo pipefail
lib=$1 want=$2 max_glibc=2.17
fail() { echo "check-native: $lib: $*" >&2; exit 1; }
[ -s "$lib" ] || fail "missing or empty: the native build produced no library (check the NAR AOL and compiler)"
command -v readelf >/dev/null || fail "readelf not found: install binutils"
hdr=$(readelf -h "$lib" 2>&1) || fail "not an ELF file: $hdr"
machine=$(sed -n 's/^ *Machine: *//p' <<<"$hdr")
type=$(sed -n 's/^ *Type: *\([A-Z]*\).*/\1/p' <<<"$hdr")
[ "$machine" = "$want" ] || fail "ELF machine is '$machine', expected '$want'"
[ "$type" = "DYN" ] || fail "ELF type is '$type', expected DYN (a shared library)"
needed=$(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
case " $needed" in *libstdc++*) fail "needs libstdc++ ($needed): link with gcc, not g++";; esac
newest=$(readelf -V --wide "$lib" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1)
if [ -n "$newest" ] && [ "$(printf '%s\n%s\n' "$newest" "$max_glibc" | sort -V | tail -n 1)" != "$max_glibc" ]; then
  fail "needs GLIBC_$newest, newer than GLIBC_$max_glibc: $(readelf -V --wide "$lib" | grep -o "[A-Za-z_0-9]*@*GLIBC_$newest" | sort -u | tr '\n' ' ')"
fi
echo "check-native: $lib: $machine, shared, needs [${needed% }], newest glibc symbol ${newest:-none} (<= $max_glibc): ok"
