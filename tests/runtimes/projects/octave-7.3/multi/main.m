addpath("lib");
printf("add(3, 4) = %d\n", mathutil_add(3, 4));
printf("%s\n", greeting(greet_name()));
