io.stderr:write("about to fail\n")
os.exit(3)
