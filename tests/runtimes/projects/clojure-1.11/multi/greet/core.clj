(ns greet.core)

(def NAME "runlet")

(defn greeting [name] (str "greet: hello, " name))
