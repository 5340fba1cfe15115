note "about to fail";
exit 3;
