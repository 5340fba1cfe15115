(binding [*out* *err*] (println "about to fail"))
(System/exit 3)
