# su and passwd are setuid root on the host. In the sandbox they must not make anyone root.
set -u
if [ ! -u /usr/bin/su ]; then
  echo "FAIL /usr/bin/su is not setuid on the host: nothing tested"
  exit 1
fi
if su -c id root </dev/null >/tmp/su.out 2>&1; then
  echo "FAIL su -c id succeeded: $(cat /tmp/su.out)"
  exit 1
fi
echo "su -c id failed"
if passwd -d root </dev/null >/tmp/passwd.out 2>&1; then
  echo "FAIL passwd -d root succeeded: $(cat /tmp/passwd.out)"
  exit 1
fi
echo "passwd -d root failed"
echo "uid $(id -ru) euid $(id -u) gid $(id -g) groups $(id -G)"
echo done
