console.error("about to fail");
process.exit(3);
