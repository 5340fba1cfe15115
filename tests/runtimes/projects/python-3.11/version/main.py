# The interpreter's own version, its real path, and the SHA-256 of its bytes: a test
# compares them with the image's file to see that the very same binary ran.
import hashlib
import os
import platform
import sys

path = os.path.realpath(sys.executable)
with open(path, "rb") as f:
    digest = hashlib.sha256(f.read()).hexdigest()
print(platform.python_version())
print(path)
print(digest)
