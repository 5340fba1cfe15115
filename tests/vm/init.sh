#!/bin/sh
# The VM's init (busybox sh): mounts a cgroup2-only hierarchy with the memory, pids and
# cpu controllers, runs `runlet exec` against it, prints one "CASE <name> <json>" line
# per case on the console, then powers off.
export PATH=/bin
if [ "${1:-}" != stage2 ]; then
  # pivot_root (the sandbox's) cannot leave the initial ramfs: the tests run from a tmpfs.
  mkdir -p /newroot
  mount -t tmpfs -o size=512m root /newroot
  for d in bin probes runlet init lib lib64 usr; do [ -e /$d ] && cp -a /$d /newroot/; done
  mkdir -p /newroot/proc /newroot/sys /newroot/dev /newroot/tmp /newroot/run
  exec switch_root /newroot /init stage2
fi
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
mount -t cgroup2 cgroup2 /sys/fs/cgroup
echo "+memory +pids +cpu" > /sys/fs/cgroup/cgroup.subtree_control
echo "VM cgroup controllers: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
run() {  # name, runlet exec arguments...
  name=$1
  shift
  out=$(/runlet exec --json --rootfs /probes "$@" 2>&1 | tr '\n' ' ')
  echo "CASE $name $out"
}
run hello -- /probes hello
run memory --memory 64M -- /probes memory 200
run pids --pids 16 --wall 5s -- /probes fork 1000
run cpu --time 500ms --wall 10s -- /probes spin
run wall --wall 700ms --time 10s -- /probes spin
echo "LEFT cgroups: $(find /sys/fs/cgroup/runlet -mindepth 1 -type d 2>/dev/null | tr '\n' ' ')"
echo "VM DONE"
poweroff -f
