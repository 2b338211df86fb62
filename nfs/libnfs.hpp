// libnfs's headers, in the one order they compile in: libnfs.h defines EXTERN, which the raw
// headers use. Included from here only, so that sorting includes cannot break it.
#pragma once

// clang-format off
extern "C" {
#include <nfsc/libnfs.h>
#include <nfsc/libnfs-raw.h>
#include <nfsc/libnfs-raw-mount.h>
#include <nfsc/libnfs-raw-nfs.h>
}
// clang-format on
