System.err.println "about to fail"
System.exit 3
