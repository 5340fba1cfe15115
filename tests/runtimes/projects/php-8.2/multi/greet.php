<?php
const GREET_NAME = 'runlet';

function greeting(string $name): string
{
    return "greet: hello, $name";
}
