main :: IO ()
main = print (undefined_thing + 1)
