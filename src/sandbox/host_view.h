// What a run on the host image (the host's own toolchains, `rootfs "/"`) sees of the
// host: the one list of it, used by the native sandbox (rootfs.cpp) and by the container
// platforms' host image (platform/docker). The toolchains' trees are shown whole and
// read-only; of /etc only what the runtimes read (each entry found by running the runtimes'
// tests), plus files the view writes itself; /usr/local is an empty directory. The host's
// name, users, mounts, services, keys and locally installed programs stay out.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace runlet::sandbox {

// Top-level directories of the host shown whole (or recreated, when symlinks).
inline constexpr const char* kHostTopLevel[] = {"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"};

// Host directories inside the view whose content is replaced by only the entries listed
// for them (kHostEtc, and what the admin adds): empty otherwise.
inline constexpr const char* kHostReplaced[] = {"etc", "usr/local"};

// The entries of the host's /etc that runs see (read-only, when the host has them).
inline constexpr const char* kHostEtc[] = {
    "alternatives",     // /usr/bin/java, cc, php, ... are links through it
    "ld.so.cache",      // the dynamic linker's library index
    "ld.so.conf",       //
    "ld.so.conf.d",     //
    "ssl/certs",        // CA certificates (/usr/lib/ssl/certs, Java's cacerts link here)
    "ssl/openssl.cnf",  // OpenSSL's configuration (Python's ssl, PHP, Ruby)
    "java-17-openjdk",  // the JVM's jvm.cfg, security and logging files (links from /usr/lib/jvm)
    "python3.11",       // sitecustomize.py (a link from /usr/lib/python3.11)
    "perl",             // Perl's site directory, first in @INC
    "php",              // php.ini and the extensions' conf.d
    "mime.types",       // MIME types (Python's mimetypes, Ruby, PHP)
    "localtime",        // the time zone (a link into /usr/share/zoneinfo)
    "timezone",         //
    "locale.alias",     // glibc's locale names (a link from /usr/share/locale)
    "nsswitch.conf",    // how glibc looks up users and hosts: files, i.e. the generated ones
    "os-release",       // which system this is (a link into /usr/lib)
    "bash.bashrc",      // interactive shells (workspaces' terminals)
    "inputrc",          //
    "profile",          //
};

// Files of /etc that the view writes itself, for the sandbox user and its own host name
// ("runlet"): never the host's.
inline constexpr const char* kHostGenerated[] = {"etc/passwd", "etc/group", "etc/hosts", "etc/hostname"};

// One host path of the view below a replaced directory: what it is on the host now.
struct HostEntry {
  std::string path;  // relative to /, e.g. "etc/ssl/certs"
  enum Kind { kDirectory, kFile, kSymlink } kind = kFile;
  std::string target;  // of a symlink, as the host has it
};

// The entries of kHostEtc and `extra` (absolute host paths an admin adds, below one of
// kHostReplaced) that the host has now, in an order in which each parent comes first.
// Other file types (sockets, devices) are left out; a bad `extra` path is an error.
Result<std::vector<HostEntry>> PlanHostEntries(const std::vector<std::string>& extra);

// Why `path` cannot be added to the host view ("" when it can): an absolute, plain path
// ("/usr/local/bin/tool", "/etc/foo") strictly below a directory of kHostReplaced, not
// one of the generated files.
std::string CheckHostPath(std::string_view path);

// Content of the generated files, for a sandbox user of uid `uid` ("etc/passwd", ...).
std::string HostGeneratedFile(std::string_view path, unsigned uid);

}  // namespace runlet::sandbox
