# Cross-compiling for the Raspberry Pi 5 (linux/arm64) on an x86_64 Debian machine:
# g++-aarch64-linux-gnu, and the libraries as Debian's arm64 packages (multiarch, installed by
# tools/install-packages arm64 beside the native ones). Tests run under qemu-aarch64 (user mode):
# ctest starts each test program through it, and the kernel's binfmt_misc runs the aarch64
# programs that those tests start in turn.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
# Headers of every architecture live in /usr/include; libraries only in the arm64 directory.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
# qemu-user 10 where tools/install-qemu-user put it (Debian 12's 7.2 does not emulate
# PR_SET_CHILD_SUBREAPER, and lets mariadbd grow without bound); else Debian 12's.
if(EXISTS /usr/local/bin/qemu-aarch64)
  set(CMAKE_CROSSCOMPILING_EMULATOR /usr/local/bin/qemu-aarch64)
else()
  set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64-static)
endif()
# GCC 12 warns falsely of overlapping memcpy inside std::string at -O2 on aarch64 (GCC bug
# 105329, fixed in 13): with -Werror it stops the unit tests' build. Only this warning is off.
set(CMAKE_CXX_FLAGS_INIT "-Wno-restrict")
