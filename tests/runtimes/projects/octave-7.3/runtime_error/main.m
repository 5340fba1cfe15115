fprintf(stderr, "about to fail\n");
exit(3);
