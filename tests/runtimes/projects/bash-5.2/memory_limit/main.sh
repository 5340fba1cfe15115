# Doubles a string until it is 1 GiB.
s=x
for _ in $(seq 30); do
  s=$s$s
done
echo "allocated ${#s} bytes"
