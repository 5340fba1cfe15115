import MathUtil (add)
import Greet.Text (greeting, name)

main :: IO ()
main = do
  putStrLn ("add(3, 4) = " ++ show (add 3 4))
  putStrLn (greeting name)
