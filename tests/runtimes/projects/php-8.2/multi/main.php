<?php
require __DIR__ . '/lib/mathutil.php';
require_once 'greet.php';

echo "add(3, 4) = " . add(3, 4) . "\n";
echo greeting(GREET_NAME) . "\n";
