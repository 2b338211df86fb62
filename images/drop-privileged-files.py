#!/usr/bin/env python3
"""Run once at image build: takes the setuid and setgid bits and the file capabilities off every
file of the image's root file system, and prints each file it changed.

Users' sessions and jobs run in these containers: a setuid-root program (mount, su, passwd, ...)
or a program with file capabilities is a way to a privilege that no user here should have. rqinit
also runs everything with no_new_privs, which makes the kernel ignore both; this makes the image
safe without it, e.g. under an engine that starts `docker exec` sessions without that flag.
"""
import os
import stat
import sys

CAPABILITY_ATTRIBUTE = "security.capability"


def files_of_root_filesystem():
    root_device = os.lstat("/").st_dev
    for directory, subdirectories, files in os.walk("/"):
        # Only the image's own files: /proc, /sys and anything else mounted at build time stay out.
        subdirectories[:] = [d for d in subdirectories
                             if os.lstat(os.path.join(directory, d)).st_dev == root_device]
        for name in files:
            yield os.path.join(directory, name)


def drop_privilege(path):
    """What was taken off the file at path: a list of words, empty if nothing."""
    info = os.lstat(path)
    if not stat.S_ISREG(info.st_mode):
        return []
    dropped = []
    special = info.st_mode & (stat.S_ISUID | stat.S_ISGID)
    if special:
        os.chmod(path, stat.S_IMODE(info.st_mode) & ~special)
        dropped += ["setuid"] if special & stat.S_ISUID else []
        dropped += ["setgid"] if special & stat.S_ISGID else []
    try:
        os.removexattr(path, CAPABILITY_ATTRIBUTE)
        dropped.append("capabilities")
    except OSError:
        pass  # no file capabilities (ENODATA), or a file system without extended attributes
    return dropped


def main():
    changed = 0
    for path in files_of_root_filesystem():
        dropped = drop_privilege(path)
        if dropped:
            print(f"drop-privileged-files: {path}: {', '.join(dropped)} removed")
            changed += 1
    print(f"drop-privileged-files: {changed} files changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
