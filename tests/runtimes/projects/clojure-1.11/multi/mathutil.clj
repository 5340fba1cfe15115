(ns mathutil)

(defn add [a b] (+ a b))
