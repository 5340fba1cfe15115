<?php
// Keeps 1 GiB alive, 16 MiB at a time.
$chunks = [];
for ($i = 0; $i < 64; $i++) {
    $chunks[] = str_repeat('x', 16 << 20);
}
echo "allocated " . count($chunks) * 16 . " MiB\n";
