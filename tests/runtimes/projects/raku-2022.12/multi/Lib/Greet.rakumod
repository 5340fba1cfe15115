unit module Lib::Greet;

constant NAME is export = "runlet";

sub greeting($who) is export { "greet: hello, $who" }
