(require '[mathutil :as m])
(require '[greet.core :as g])

(println (str "add(3, 4) = " (m/add 3 4)))
(println (g/greeting g/NAME))
