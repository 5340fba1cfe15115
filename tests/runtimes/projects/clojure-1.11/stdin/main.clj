(print (clojure.string/upper-case (slurp *in*)))
(flush)
