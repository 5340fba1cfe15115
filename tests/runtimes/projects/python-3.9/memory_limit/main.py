# Keeps 1 GiB alive, 16 MiB at a time, touching every page.
chunks = []
for i in range(64):
    chunks.append(bytearray(b"x" * (16 << 20)))
print("allocated", len(chunks) * 16, "MiB")
